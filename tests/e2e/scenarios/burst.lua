-- Errors only at the end: 30% of requests fail during the last 4 s of 30.
-- The whole run stays under 5% errors; the last 20 s window does not.
local t0
return scenario {
  name = "burst",
  target = env("QVR_TARGET"),
  load = users { count = 2, duration = "30s" },
  wait = constant(0.02),
  tasks = { r = function()
    t0 = t0 or os.time()
    local late = os.time() - t0 >= 26
    local path = (late and math.random() < 0.3) and "/fail" or "/api/rerank"
    http.get(path)
  end },
  thresholds = { error_rate = "< 5%", ["error_rate[20s]"] = "< 5%" },
}
