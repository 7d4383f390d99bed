-- Token streams against tests/fixture/qvr_sse_server (tests/e2e/stream_*.sh).
-- T: the fixture's URL; USERS, DURATION; MODE: "" (by Content-Type), sse,
-- ndjson; FT: first_token_timeout; TIMEOUT; TH picks thresholds; RATE
-- switches to an open model at that many starts per second.
local th = {
  none = nil,
  pass = { ["ttft.p50"] = "< 60ms", ["itl.p99"] = "< 50ms", ["tpot.p50"] = "< 20ms",
           output_tokens_per_s = "> 100", ["ttft.p99{name=chat}"] = "< 200ms",
           ["itl.p50[1s]"] = "< 20ms" },
  ttft = { ["ttft.p50"] = "< 5ms" },
  itl = { ["itl.p50[1s]"] = "< 1ms" },
  tps = { output_tokens_per_s = "> 1000000" },
  bad = { ["ttft.rps"] = "> 1" },
}
local mode = env("MODE", "")
local load
if env("STEPS", "") ~= "" then
  load = steps { users = { 1, 3 }, hold = env("DURATION", "1s"), settle = "0s" }
elseif env("RATE", "") ~= "" then
  load = rate { rps = tonumber(env("RATE")), duration = env("DURATION", "2s"),
                max_users = 200 }
else
  load = users { count = tonumber(env("USERS", "4")), duration = env("DURATION", "2s") }
end
return scenario {
  name = "stream",
  target = env("T", "http://127.0.0.1:1"),
  load = load,
  timeout = env("TIMEOUT", "10s"),
  slo = env("SLO", "p99 < 5s"),
  tasks = { chat = function()
    local opts = {
      name = "chat",
      json = { model = "fixture", stream = true,
               messages = { { role = "user", content = "say something" } } },
      first_token_timeout = env("FT", "5s"),
    }
    if mode ~= "" then opts.stream = mode end
    if env("CHECK", "") ~= "" then opts.text = true end
    local r
    if env("METHOD", "POST") == "GET" then -- the fixture answers 405
      opts.json = nil
      r = http.get("/v1/chat/completions", opts)
    else
      r = http.post("/v1/chat/completions", opts)
    end
    if env("CHECK", "") ~= "" then
      -- the fixture's 8-token SSE stream: role chunk, 8 tokens, finish,
      -- usage, [DONE]
      check(r, "r.tokens", r.tokens == 8)
      check(r, "r.events", r.events == 12)
      check(r, "r.text", r.text == "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 ")
      check(r, "r.ttft", type(r.ttft) == "number" and r.ttft >= 10 and r.ttft_service <= r.ttft)
      check(r, "r.tpot", type(r.tpot) == "number" and r.tpot > 1 and r.tpot < 10)
      check(r, "r.tokens_source", r.tokens_source == "usage" and r.complete == true)
      check(r, "no raw body kept", r.body == "")
    end
  end },
  thresholds = th[env("TH", "none")],
}
