-- llm-ollama: Ollama's native /api/chat, which streams newline-delimited
-- JSON (not SSE): stream = "ndjson" tells qvrrun to time each line; the
-- last line's eval_count and prompt_eval_count are the token counts.
--
--   qvrrun examples/scenarios/llm-ollama.lua --target http://localhost:11434
local body = {
  model = env("QVR_MODEL", "llama3.2"),
  messages = { { role = "user", content = "Name three prime numbers." } },
  stream = true,
}

return scenario {
  name   = "llm-ollama",
  target = env("QVR_TARGET", "http://127.0.0.1:11434"),
  load   = users { count = tonumber(env("USERS", "2")), duration = env("DURATION", "30s") },
  timeout = "5m",
  tasks  = { chat = function()
    local r = http.post("/api/chat", { json = body, name = "ollama_chat",
                                       stream = "ndjson",
                                       first_token_timeout = "60s" })
    check(r, "status 200", r.status == 200)
    check(r, "tokens streamed", (r.tokens or 0) > 0)
  end },
  thresholds = { ["ttft.p95"] = "< 10s" },
}
