-- HTTPS against a local nginx with a self-signed certificate.
return scenario {
  name = "tls",
  target = env("QVR_TARGET"),
  insecure = env("INSECURE", "") == "1",
  load = users { count = 2, duration = "1s" },
  wait = constant(0.05),
  tasks = { t = function()
    local r = http.get("/api/rerank")
    if r.version then check(r, "version " .. r.version, true) end
  end },
}
