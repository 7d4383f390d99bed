-- Thresholds on things that never happened (tests/e2e/threshold_no_data.sh):
-- a task of weight 0 never runs, a request name with a typo never occurs.
-- Both must fail the gate and say why; a trend through too few windows (a
-- 2 s run) is not evaluated instead, and does not fail it.
return scenario {
  name   = "no-data",
  target = "mock",
  mock   = { service = "5ms", slots = 8 },
  load   = users { count = 2, duration = env("DURATION", "2s") },
  tasks  = {
    text = { weight = 1, run = function()
      http.post("/api/rerank", { name = "rerank_text",
                                 json = { query = "q", documents = { "a" } } })
      http.post("/api/rerank", { name = "rerank_image",
                                 json = { query = "q", documents = { "b" } } })
    end },
    never = { weight = 0, run = function() http.get("/never") end },
  },
  thresholds = {
    p99                       = "< 5s",
    ["p99{task=never}"]       = "< 5s",
    ["p99{name=rerank_txt}"]  = "< 1s",
    rps_trend                 = "> -50%",
  },
}
