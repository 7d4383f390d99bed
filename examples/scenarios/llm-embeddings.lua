-- llm-embeddings: an OpenAI-compatible /v1/embeddings endpoint (vLLM, TEI,
-- Ollama, a hosted API) under a steady rate; each answer is checked for one
-- vector per input.
--
--   qvrrun examples/scenarios/llm-embeddings.lua --target http://localhost:8000
local openai = require "qvr.openai"
openai.model = env("QVR_MODEL", "") ~= "" and env("QVR_MODEL") or nil

local batch = openai.embeddings {
  input = { "Durable waterproof boots with ankle support",
            "Lightweight running shoes for pavement",
            "Insulated winter boots for snow" },
}

return scenario {
  name   = "llm-embeddings",
  target = env("QVR_TARGET", "mock"),
  load   = rate { rps = tonumber(env("RPS", "20")), duration = env("DURATION", "30s"),
                  max_users = 64 },
  tasks  = { embed = function() openai.send(batch) end },
  thresholds = { p99 = "< 1s", error_rate = "< 1%" },
}
