-- A saturating closed loop on one slot of the mock: throughput is exactly
-- 1/service time, so a leaking service shows as a falling rps trend.
return scenario {
  name = "drift",
  target = "mock",
  mock = { service = "50ms", slots = 1, leak = env("LEAK", nil) },
  load = users { count = 4, duration = env("DURATION", "3m") },
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
  thresholds = { rps_trend = "> -5%", p99_trend = "< +25%" },
}
