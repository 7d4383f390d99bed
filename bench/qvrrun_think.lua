-- Many users that think (issue 7): each posts a small rerank body, checks the
-- status, then waits 1-3 s (2 s on average), so N users offer N / 2 req/s.
-- bench/scale.sh runs it with --users 10000 against `qvrrun mock --profile
-- fast` in its own process.
local n = 0
return scenario {
  name = "think",
  target = env("QVR_TARGET", "mock"),
  load = users { count = 10000, spawn_rate = 2000, duration = "60s" },
  wait = between(1, 3),
  tasks = {
    rerank = { run = function()
      n = n + 1
      local r = http.post("/api/rerank", {
        body = '{"query":"q' .. n .. '","documents":["a","b","c"]}',
        headers = { ["Content-Type"] = "application/json" } })
      check(r, "status 200", function(res) return res.status == 200 end)
    end },
  },
}
