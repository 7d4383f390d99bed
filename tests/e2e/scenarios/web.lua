-- The live dashboard in a real browser (tests/e2e/web_dashboard.sh): two
-- users against the mock (20 ms answers), a threshold that fails on
-- purpose (p50 < 1ms) and one that holds; the test raises the users from
-- the page and stops the run there long before its 60 s.
return scenario {
  name = "web",
  target = "mock",
  mock = { service = "20ms" },
  load = users { count = 2, duration = "60s" },
  wait = constant(0.05),
  tasks = { rerank = function()
    http.post("/api/rerank", { name = "rerank", json = { query = "q", documents = { "a", "b" } } })
  end },
  thresholds = { p50 = "< 1ms", error_rate = "< 50%" },
  collect = { host = true, headers = { "X-Infer-Ms" } },
}
