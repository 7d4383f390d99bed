-- baseline: what one user sees. One user, 1-3 s think time, the standard
-- multimodal request: the single-user latency every other run compares to.
local rerank = require "qvr.rerank"

local probe = rerank.payload {
  name = "rerank_multimodal",
  instruction = "Re-rank for visual-text alignment.",
  query = "A red sports car driving on mountain road",
  documents = { "High-performance vehicle on winding asphalt",
                "Old sedan parked in garage",
                { image = "../examples/data/camera.png" } },
}

return scenario {
  name   = "baseline",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = users { count = 1, duration = "2m" },
  wait   = between(1, 3),
  tasks  = { probe = function() rerank.post(nil, probe) end },
  thresholds = { error_rate = "< 1%", p99 = "< 5s" },
}
