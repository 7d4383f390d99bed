-- sweep: one-at-a-time baseline, a saturation run that finds the most the
-- target can do, then evenly spaced arrival rates in between. Reports the
-- knee and the highest rate that still meets the SLO (goodput).
local rerank = require "qvr.rerank"

local text = rerank.payload {
  name = "rerank_text",
  query = "Best hiking boots for rocky terrain",
  documents = { "Durable waterproof boots with ankle support",
                "Lightweight running shoes for pavement",
                "Insulated winter boots for snow" },
}

return scenario {
  name   = "sweep",
  target = env("QVR_TARGET", "mock"),
  load   = sweep { rates = 6, hold = env("HOLD", "30s"), settle = "5s",
                   slo = "p99 < 5s", max_users = 32 },
  stop_on = "saturation",
  tasks  = { rerank = function() rerank.post(nil, text) end },
}
