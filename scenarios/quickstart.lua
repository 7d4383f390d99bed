-- quickstart: a short mixed text + multimodal rerank run. With no target it
-- runs against the built-in simulated reranker; point it at a real service
-- with QVR_TARGET=http://host:7860 (or --target).
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
                { image = "../examples/data/camera.png" },  -- file -> data: URL
                "Modern digital mirrorless camera" },
}

return scenario {
  name   = "quickstart",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = users { count = 4, spawn_rate = 2, duration = "20s" },
  wait   = between(0.2, 0.8),
  tasks  = {
    text_only  = { weight = 3, run = function() rerank.post(nil, text) end },
    multimodal = { weight = 1, run = function() rerank.post(nil, mixed) end },
  },
  thresholds = {
    error_rate = "< 5%",
    p99        = "< 5s",
    ["p99{task=multimodal}"] = "< 6s",
    checks     = "> 99%",
  },
}
