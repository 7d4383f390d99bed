-- The mock's GPU-like service model under a closed loop: one user per step
-- count, the standard 3-document (2 text + 1 image) request.
local rerank = require "qvr.rerank"
local p = rerank.payload {
  instruction = "Re-rank for visual-text alignment.",
  query = "A red sports car driving on mountain road",
  documents = { "High-performance vehicle on winding asphalt",
                "Old sedan parked in garage",
                { image = "../../../examples/data/camera.png" } },
}
return scenario {
  name = "profile",
  target = "mock",
  mock = { profile = env("PROFILE", "h100-qwen3vl-8b"), seed = 7 },
  load = steps { users = { 1, 4, 16 }, hold = env("HOLD", "6s"), settle = "2s" },
  tasks = { r = function() rerank.post(nil, p) end },
}
