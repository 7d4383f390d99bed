-- steps{rps = {...}}: open-model rate steps against the built-in mock, 4
-- slots of exactly 50 ms (80 req/s at most). The first three steps are
-- well under that and must each deliver their planned rate; the last asks
-- for twice what the mock can do with at most 8 users in flight (8 / 50 ms
-- = 160 starts/s would need 8 free users at every start, the slots let
-- through 80/s), so its starts are dropped and the step is flagged
-- under-delivered. HOLD and SETTLE (default none) shorten or lengthen the
-- steps (tests/e2e/rate_steps_accounting.sh).
return scenario {
  name   = "rate-steps",
  target = "mock",
  mock   = { service = "50ms", slots = 4, queue = 1000 },
  load   = steps { rps = { 10, 20, 40, 160 }, hold = env("HOLD", "2500ms"),
                   settle = env("SETTLE", "0s"), max_users = 8 },
  tasks  = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
