-- Every fault of the mock shows up in the results as the failure it is.
local rerank = require "qvr.rerank"
local p = rerank.payload { query = "hiking boots", documents = { "boots", "shoes" } }
-- WRONG=1: expect a score more than the documents sent, so that every JSON
-- answer has the wrong number of scores (a failed check, not invalid_json).
if env("WRONG", "0") == "1" then p.ndocs = p.ndocs + 1 end
return scenario {
  name = "faults",
  target = "mock",
  mock = { service = "2ms", slots = 8, seed = 3,
           ["error-rate"] = env("ERR", "0"), drop = env("DROP", "0"),
           garbage = env("GARBAGE", "0"), stall = env("STALL", nil) },
  timeout = env("TIMEOUT", "10s"),
  load = users { count = 4, duration = env("DUR", "3s") },
  tasks = { r = function() rerank.post(nil, p) end },
}
