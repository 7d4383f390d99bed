-- abort: a gate that stops the run as soon as it cannot pass. The mock's
-- default profile answers this 3-document request in ~48 ms, so "p99 < 30ms"
-- fails; after 2 s of grace the run stops (exit 99) instead of going on
-- for the full minute, and every result up to then is written.
--   qvrrun examples/scenarios/abort.lua; echo $?    # 99, after ~2 s
local rerank = require "qvr.rerank"
local body = rerank.payload {
  query = "Best hiking boots for rocky terrain",
  documents = { "Durable waterproof boots", "Running shoes", "Winter boots" },
}

return scenario {
  name   = "abort",
  target = env("QVR_TARGET", "mock"),
  load   = users { count = 1, duration = "1m" },
  tasks  = { rerank = function() rerank.post(nil, body) end },
  thresholds = {
    p99 = { "< 30ms", abort = true, after = "2s" },
    error_rate = "< 1%",
  },
}
