-- rate: an open-model load. Requests start on a schedule whatever the
-- target does, so a slow or stalled server cannot hide in the statistics:
-- response time counts from the intended start (service time is beside it),
-- and starts that find no free user are counted late or dropped.
local rerank = require "qvr.rerank"

local text = rerank.payload {
  name = "rerank_text",
  instruction = "Rank text candidates.",
  query = "Best hiking boots for rocky terrain",
  documents = { "Durable waterproof boots with ankle support",
                "Lightweight running shoes for pavement",
                "Insulated winter boots for snow" },
}

return scenario {
  name   = "rate",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = rate { rps = tonumber(env("RPS", "8")), duration = "2m",
                  arrival = "poisson", max_users = 200 },
  tasks  = { rerank = function() rerank.post(nil, text) end },
  thresholds = { p99 = "< 5s", error_rate = "< 1%" },
}
