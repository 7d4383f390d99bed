-- soak: the standard long run. Six users with 1-3 s think time, text and
-- multimodal requests, 1 s windows, for 30 minutes (--duration to change).
-- The gate fails when throughput sinks, latency drifts right or errors creep
-- up over the run, or when any 30 s window has a burst of failures.
local rerank = require "qvr.rerank"

local text = rerank.payload {
  name = "rerank_text",
  instruction = "Rank text candidates.",
  query = "Best hiking boots for rocky terrain",
  documents = { "Durable waterproof boots with ankle support",
                "Lightweight running shoes for pavement",
                "Insulated winter boots for snow" },
}
local mixed = rerank.payload {
  name = "rerank_multimodal",
  query = "Vintage camera collection",
  documents = { "1950s Leica M3 with original case",
                { image = "../examples/data/camera.png" },
                "Modern digital mirrorless camera" },
}

return scenario {
  name   = "soak",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = users { count = 6, spawn_rate = 1, duration = "30m" },
  wait   = between(1, 3),
  report = { window = "1s" },
  tasks  = {
    text_only  = { weight = 3, run = function() rerank.post(nil, text) end },
    multimodal = { weight = 1, run = function() rerank.post(nil, mixed) end },
  },
  thresholds = {
    error_rate = "< 5%",
    ["error_rate[30s]"] = "< 20%",
    p99        = "< 5s",
    ["p99{task=multimodal}"] = "< 6s",
    rps_trend  = "> -10%",
    p99_trend  = "< +25%",
    error_rate_trend = "< +2pp",
  },
}
