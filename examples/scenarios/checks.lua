-- checks: read the answer and judge it yourself, without qvr.rerank.
-- http.post with json= encodes the table; r:json() decodes the answer once;
-- each check() is counted by label (summary.json "checks", the final table)
-- and a false one marks the request failed. The mock's scores are a lexical
-- similarity, so the boots document must come first.
--   qvrrun examples/scenarios/checks.lua
local docs = { "Durable waterproof boots with ankle support",
               "Lightweight running shoes for pavement",
               "Insulated winter jacket for snow" }

return scenario {
  name   = "checks",
  target = env("QVR_TARGET", "mock"),
  load   = users { count = 2, duration = "10s" },
  wait   = constant(0.1),
  tasks  = {
    rank = function()
      local r = http.post("/api/rerank", {
        name = "rerank",
        json = { query = { text = "hiking boots" },
                 documents = { { text = docs[1] }, { text = docs[2] }, { text = docs[3] } } },
      })
      check(r, "status 200", r.status == 200)
      local ok, answer = pcall(r.json, r)
      check(r, "one score per document", ok and type(answer) == "table"
        and type(answer.scores) == "table" and #answer.scores == #docs)
      check(r, "boots ranked first", function()
        local s = answer.scores
        return s[1] > s[2] and s[1] > s[3]
      end)
    end,
  },
  thresholds = { checks = "== 100%" },
}
