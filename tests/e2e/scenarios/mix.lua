-- Two weighted tasks against any target; knobs come from -e KEY=VALUE so
-- the end-to-end tests can reuse one file.
local body = { query = "Best hiking boots", documents = { "a", "b", "c" } }

return scenario {
  name = "mix",
  target = env("QVR_TARGET"),
  warmup = { requests = tonumber(env("WARMUP", "0")) },
  load = users { count = tonumber(env("USERS", "10")),
                 duration = env("DURATION", "3s") },
  tasks = {
    text = { weight = 3, run = function()
      local r = http.post("/api/rerank", { json = body, name = "rerank_text" })
      check(r, "status 200", function(res) return res.status == 200 end)
    end },
    other = { weight = tonumber(env("OTHER_WEIGHT", "1")), run = function()
      http.post(env("OTHER_PATH", "/api/rerank"),
                { json = body, name = "rerank_other" })
    end },
  },
  thresholds = {
    error_rate = env("ERR_TH", "<= 100%"),
    p99 = env("P99_TH", "< 10s"),
  },
}
