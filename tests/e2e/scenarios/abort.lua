-- abort = true thresholds stop a run early, on one thread or several
-- (tests/e2e/threshold_abort.sh). TH picks the thresholds. The collector
-- runs too (host samples, the mock's timing headers): `make tsan` runs this
-- with two workers feeding the main thread's collector.
local th = {
  whole = { p50 = { "< 5ms", abort = true } },
  window = { ["p99[2s]"] = { "< 5ms", abort = true } },
  after = { p50 = { "< 5ms", abort = true, after = "4s" } },
  errors = { error_rate = { "< 10%", abort = true } },
  tagged = { ["p50{name=rr}"] = { "< 5ms", abort = true } },
  checks = { checks = { "> 99%", abort = true } },
  holds = { p50 = { "< 5s", abort = true }, ["p99[2s]"] = { "< 5s", abort = true } },
}
return scenario {
  name = "abort",
  target = "mock",
  mock = { service = "20ms", slots = 1000, ["error-rate"] = env("ERR", "0") },
  load = users { count = tonumber(env("USERS", "200")), duration = env("DURATION", "30s") },
  tasks = { r = function()
    local r = http.post("/api/rerank",
                        { name = "rr", json = { query = "q", documents = { "a" } } })
    check(r, "under 5 ms", function(x) return x.time < 5 end)
  end },
  thresholds = th[env("TH", "whole")],
  collect = { host = true, headers = { "X-Infer-Ms" } },
}
