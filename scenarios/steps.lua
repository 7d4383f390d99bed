-- steps: the capacity table. 2, 4, 8, 16 users, one measured phase each;
-- the knee (where throughput stops scaling or the SLO breaks) and the safe
-- concurrency come out in the summary, steps.csv and steps.png.
local rerank = require "qvr.rerank"

local mixed = rerank.payload {
  name = "rerank_multimodal",
  instruction = "Re-rank for visual-text alignment.",
  query = "A red sports car driving on mountain road",
  documents = { "High-performance vehicle on winding asphalt",
                "Old sedan parked in garage",
                { image = "../examples/data/camera.png" } },
}

return scenario {
  name   = "steps",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = steps { users = { 2, 4, 8, 16 }, hold = env("HOLD", "1m"), settle = "10s" },
  slo    = "p99 < 5s, error_rate < 5%",
  tasks  = { rerank = function() rerank.post(nil, mixed) end },
}
