-- llm-sweep: the highest request rate an LLM server sustains while meeting
-- its latency SLOs on streamed answers: time to first token and time per
-- output token (vLLM's goodput definition: a request is good when it meets
-- every SLO). A baseline, a saturation step, then rates in between; the
-- summary's knee reports the best rate meeting the SLO.
--
--   qvrrun scenarios/llm-sweep.lua --target http://localhost:8000 -e HOLD=1m
local openai = require "qvr.openai"
openai.model = env("QVR_MODEL", "") ~= "" and env("QVR_MODEL") or nil

local chat = openai.chat {
  prompt = "Write a short paragraph about load testing inference servers.",
  max_tokens = tonumber(env("MAX_TOKENS", "256")),
  temperature = 0,
}

return scenario {
  name   = "llm-sweep",
  target = env("QVR_TARGET", "mock"),
  load   = sweep { rates = tonumber(env("RATES", "6")), hold = env("HOLD", "30s"),
                   settle = "5s", max_users = 512,
                   slo = env("SLO", "ttft.p99 < 1s, tpot.p99 < 50ms, error_rate < 1%") },
  stop_on = "saturation",
  timeout = "5m",
  tasks  = { chat = function() openai.send(chat) end },
}
