-- bench/qvrrun_stream.lua: the streaming benchmark's qvrrun side (bench/stream.sh).
-- Every user posts one streaming chat completion after another, as the
-- reference loop bench/ref/curl_stream.c does: the same body, max_tokens
-- from QVR_BENCH_TOKENS, stream_options.include_usage so the server's usage
-- gives the token count. bench/stream.sh sets --users, --duration and
-- --target.
local tokens = tonumber(env("QVR_BENCH_TOKENS", "32"))
local body = {
  model = "bench",
  messages = { { role = "user", content = "Tell me a story" } },
  max_tokens = tokens,
  stream = true,
  stream_options = { include_usage = true },
}

return scenario {
  name = "bench-stream",
  target = env("QVR_TARGET", "mock"),
  load = users { count = 256, duration = "10s" },
  tasks = {
    chat = function()
      http.post("/v1/chat/completions", { json = body })
    end,
  },
}
