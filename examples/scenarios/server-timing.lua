-- server-timing: tell queueing from inference. Four users without think
-- time share the mock's one slot, so each answer waits for about three
-- others. collect.headers records the X-Queue-Ms and X-Infer-Ms headers of
-- the answers (averaged per window: timeseries.csv columns x_queue_ms and
-- x_infer_ms), and a finding says when the queue outweighs inference.
-- Server-Timing headers (db;dur=53) are recorded without being listed.
--   qvrrun examples/scenarios/server-timing.lua
local rerank = require "qvr.rerank"
local body = rerank.payload {
  query = "Vintage camera collection",
  documents = { "1950s Leica M3 with original case",
                { image = "../data/camera.png" },
                "Modern digital mirrorless camera" },
}

return scenario {
  name    = "server-timing",
  target  = env("QVR_TARGET", "mock"),
  load    = users { count = 4, duration = "10s" },
  tasks   = { rerank = function() rerank.post(nil, body) end },
  collect = { headers = { "X-Queue-Ms", "X-Infer-Ms" } },
}
