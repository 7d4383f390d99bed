-- The in-process mock (target = "mock") serves the LLM routes with the
-- scenario's mock = {} flags: fixed 10 ms to the first token, then 1 ms
-- per token, so an answer of MAXT tokens takes 10 + (MAXT - 1) ms.
local maxt = tonumber(env("MAXT", "10"))
return scenario {
  name = "llm-mock",
  target = "mock",
  mock = { ttft = "10ms", itl = "1ms", max_seqs = 8 },
  load = users { count = 2, duration = env("DUR", "1s") },
  tasks = {
    chat = function()
      local r = http.post("/v1/chat/completions", { json = {
        messages = { { role = "user", content = "hello big world" } },
        max_tokens = maxt } })
      local j = r:json()
      check(r, "usage", j ~= nil and j.usage.completion_tokens == maxt
                       and j.usage.prompt_tokens == 14)
    end,
  },
}
