-- Errors only at the end: 35% of requests fail during the last 3.5 s of 30.
-- The whole run stays under 5% errors (~4%); the last 20 s window does not
-- (~6%).
local t0 = now()
return scenario {
  name = "burst",
  target = env("QVR_TARGET"),
  load = users { count = 2, duration = "30s" },
  wait = constant(0.02),
  tasks = { r = function()
    local late = now() - t0 >= 26.5
    local path = (late and math.random() < 0.35) and "/fail" or "/api/rerank"
    http.get(path)
  end },
  thresholds = { error_rate = "< 5%", ["error_rate[20s]"] = "< 5%" },
}
