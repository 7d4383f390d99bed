-- multimodal: image and mixed text/image rerank requests of three sizes, as
-- a Qwen3-VL reranker sees them: an image query against text candidates, and
-- text queries against 3 and 10 candidates of which some are images. Each
-- request size is its own name, so the final table and summary.json give a
-- latency per size (an image pads every pair of its request to 300+ tokens,
-- so the sizes differ a lot). Two users with a short think time; with no
-- target it runs against the built-in simulated reranker, QVR_TARGET=
-- http://host:7860 (or --target) points it at a real service.
local rerank = require "qvr.rerank"

-- Local files become base64 data: URLs once, when the scenario loads.
local camera = "../examples/data/camera.png"

local image_query = rerank.payload {
  name = "image_query",
  query = { image = camera },
  documents = { "A vintage rangefinder camera with a leather case",
                "A bowl of fresh fruit on a kitchen table",
                "A city skyline at night with lit windows" },
}

local mixed_3 = rerank.payload {
  name = "mixed_3",
  query = "Vintage camera collection",
  documents = { "1950s Leica M3 with original case",
                { image = camera },
                "Modern digital mirrorless camera" },
}

local mixed_10 = rerank.payload {
  name = "mixed_10",
  query = "Vintage camera collection",
  documents = { "1950s Leica M3 with original case",
                { image = camera },
                "Modern digital mirrorless camera",
                "Box of assorted film rolls, expired",
                { image = camera },
                "Wooden tripod from a photo studio",
                "Polaroid SX-70 folding instant camera",
                { image = camera },
                "Guide to developing black and white film",
                "Brass lens cap and leather strap" },
}

return scenario {
  name   = "multimodal",
  target = env("QVR_TARGET", "mock"),
  warmup = { requests = 2 },
  load   = users { count = 2, spawn_rate = 1, duration = "1m" },
  wait   = between(0.1, 0.5),
  tasks  = {
    image_query = { weight = 1, run = function() rerank.post(nil, image_query) end },
    mixed_3     = { weight = 2, run = function() rerank.post(nil, mixed_3) end },
    mixed_10    = { weight = 1, run = function() rerank.post(nil, mixed_10) end },
  },
  thresholds = {
    error_rate = "< 5%",
    checks     = "> 99%",
    ["p99{task=image_query}"] = "< 2s",
    ["p99{task=mixed_3}"]     = "< 2s",
    ["p99{task=mixed_10}"]    = "< 3s",
  },
}
