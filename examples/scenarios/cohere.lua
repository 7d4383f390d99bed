-- cohere: the vLLM / Jina / Cohere rerank API (POST /v1/rerank, answer
-- results[{index, relevance_score}] sorted by score). rerank.post maps the
-- scores back to document order and checks there is one per document: the
-- best match is the last document, so r.scores[3] must be the highest.
--   QVR_TARGET=http://vllm-host:8000 qvrrun examples/scenarios/cohere.lua
local rerank = require "qvr.rerank"
local body = rerank.payload {
  dialect = "cohere",
  model = env("MODEL", "Qwen/Qwen3-Reranker-8B"),
  query = "What is the capital of France?",
  documents = { "Berlin is the capital of Germany.",
                "The Eiffel Tower is in Paris.",
                "Paris is the capital of France." },
  top_n = 3,
}

return scenario {
  name   = "cohere",
  target = env("QVR_TARGET", "mock"),
  load   = users { count = 2, duration = "10s" },
  wait   = between(0.05, 0.2),
  tasks  = {
    rerank = function()
      local r = rerank.post(nil, body)
      local s = r.scores
      check(r, "the capital ranked first", s ~= nil and s[3] > s[1] and s[3] > s[2])
    end,
  },
  thresholds = { checks = "== 100%", p99 = "< 2s" },
}
