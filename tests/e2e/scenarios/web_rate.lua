-- An arrival-rate load whose rate the test changes from the dashboard's
-- control (tests/e2e/web_rate.sh).
return scenario {
  name = "web_rate",
  target = "mock",
  mock = { service = "10ms" },
  load = rate { rps = 10, duration = "30s", max_users = 20 },
  tasks = { r = function()
    http.post("/api/rerank", { name = "r", json = { query = "q", documents = { "a" } } })
  end },
}
