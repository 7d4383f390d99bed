-- doc-sweep: how latency grows with the number of documents per request,
-- and where the server starts to refuse (413) or fail. One user, one request
-- every 250 ms at most; the step table shows latency against `docs`.
local rerank = require "qvr.rerank"

local counts = { 1, 2, 4, 8, 16, 32, 64 }
local words = { "waterproof", "boots", "ankle", "support", "trail", "rocky",
                "lightweight", "grip", "leather", "hiking" }

-- One payload per document count, built once at load time.
local payloads = {}
for _, n in ipairs(counts) do
  local docs = {}
  for i = 1, n do
    docs[i] = words[(i - 1) % #words + 1] .. " " .. words[(i * 3) % #words + 1]
              .. " document " .. i
  end
  payloads[n] = rerank.payload { name = "rerank_docs", query = "hiking boots", documents = docs }
end

return scenario {
  name   = "doc-sweep",
  target = env("QVR_TARGET", "mock"),
  load   = steps { vary = { docs = counts }, users = 1, hold = env("HOLD", "10s") },
  -- At most 4 requests a second: a server that refuses at once (413 past
  -- its document limit) is not flooded with thousands of refusals a
  -- second, and a 10 s hold still gives each count 40 samples.
  wait   = pacing(0.25),
  tasks  = { rerank = function() rerank.post(nil, payloads[step.docs]) end },
}
