-- llm-chat: a steady chat load on an OpenAI-compatible server (vLLM, SGLang,
-- TGI, llama.cpp, Ollama's /v1, a hosted API), streamed: TTFT, ITL, TPOT and
-- output tokens/s for every request, judged by thresholds.
--
--   qvrrun scenarios/llm-chat.lua --target http://localhost:8000
--   OPENAI_API_KEY=... QVR_MODEL=meta-llama/Llama-3.1-8B-Instruct qvrrun ...
--
-- With no model given, the first one GET /v1/models lists is used.
local openai = require "qvr.openai"
openai.model = env("QVR_MODEL", "") ~= "" and env("QVR_MODEL") or nil

local chat = openai.chat {
  messages = {
    { role = "system", content = "You are a concise assistant." },
    { role = "user", content = "Explain in three sentences why the sky is blue." },
  },
  max_tokens = tonumber(env("MAX_TOKENS", "128")),
  temperature = 0,
  first_token_timeout = env("FIRST_TOKEN_TIMEOUT", "30s"),
}

return scenario {
  name   = "llm-chat",
  target = env("QVR_TARGET", "mock"),
  load   = rate { rps = tonumber(env("RPS", "4")), duration = env("DURATION", "1m"),
                  arrival = "poisson", max_users = 256 },
  timeout = "5m",
  tasks  = { chat = function() openai.send(chat) end },
  thresholds = {
    error_rate = "< 1%",
    ["ttft.p99"] = env("TTFT_P99", "< 2s"),
    ["itl.p99"] = env("ITL_P99", "< 200ms"),
    ["tpot.p50"] = "< 100ms",
  },
}
