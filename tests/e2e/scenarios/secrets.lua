-- Secrets in headers must not reach logs, task errors or results.
local token = "Bearer s3cr3t-T0KEN-123"
return scenario {
  name = "secrets",
  target = env("QVR_TARGET"),
  redact = { "X-Api-Key" },
  load = users { count = 1, duration = "1s" },
  wait = constant(0.2),
  tasks = { t = function()
    local h = { Authorization = token, ["X-Api-Key"] = "k3y-V4LUE-987", Cookie = "session=c00kie-val" }
    local r = http.get("/ok", { headers = h })
    log("sending", h.Authorization, h["X-Api-Key"], h.Cookie)
    check(r, "status 200", r.status == 200)
    error("request failed with key k3y-V4LUE-987 and " .. token)
  end },
}
