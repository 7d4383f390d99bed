-- llm-vision: chat with an image (a vision model such as Qwen2-VL or
-- Llama 3.2 Vision behind an OpenAI-compatible server). The image file is
-- read once and sent as an image_url part with a data: URL; the answer is
-- streamed and timed token by token.
--
--   qvrrun examples/scenarios/llm-vision.lua --target http://localhost:8000
local openai = require "qvr.openai"
openai.model = env("QVR_MODEL", "") ~= "" and env("QVR_MODEL") or nil

local describe = openai.chat {
  messages = { { role = "user", content = "Describe this picture in one sentence." } },
  images = { env("IMAGE", "../data/camera.png") },
  max_tokens = 64,
  name = "vision",
}

return scenario {
  name   = "llm-vision",
  target = env("QVR_TARGET", "mock"),
  load   = users { count = tonumber(env("USERS", "4")), duration = env("DURATION", "30s") },
  tasks  = { vision = function() openai.send(describe) end },
  thresholds = { ["ttft.p95"] = "< 5s", error_rate = "< 1%" },
}
