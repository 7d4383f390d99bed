-- The benchmark task: a distinct JSON rerank body per request, a status
-- check. bench/throughput.sh runs it with 50 users and no think time;
-- with -e THINK=1 every user waits 1-3 s (2 s on average) after each
-- request, so N users offer N / 2 req/s (bench/scale.sh: 10,000 users
-- against the mock; tests/e2e/scale_users_timing.sh: 3,000).
local n = 0
local think = env("THINK", "") ~= ""
return scenario {
  name = think and "think" or "bench",
  target = env("QVR_TARGET", "http://127.0.0.1:8080"),
  load = users { count = 50, duration = "10s" },
  wait = think and between(1, 3) or nil,
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
