-- The three rerank dialects against the built-in mock: each answer parses,
-- sorted answers are mapped back to document order, and all three agree
-- on every document's score (the mock scores the same text the same way).
local rerank = require "qvr.rerank"

local docs = { "Durable waterproof boots with ankle support",
               "Lightweight running shoes for pavement",
               "Insulated winter boots for snow",
               "hiking boots rocky terrain grip" }
local q = "hiking boots for rocky terrain"
local p = {
  qwen3vl = rerank.payload { query = q, documents = docs, name = "qwen3vl" },
  cohere  = rerank.payload { query = q, documents = docs, dialect = "cohere", name = "cohere" },
  tei     = rerank.payload { query = q, documents = docs, dialect = "tei", name = "tei" },
  top2    = rerank.payload { query = q, documents = docs, dialect = "cohere", top_n = 2, name = "top2" },
}

local function same(a, b)
  for i = 1, #docs do
    if a[i] == nil or b[i] == nil or math.abs(a[i] - b[i]) > 1e-9 then return false end
  end
  return true
end

return scenario {
  name = "dialects",
  target = "mock",
  mock = { service = "1ms", slots = 4 },
  load = users { count = 2, duration = "2s" },
  tasks = { all = function()
    local a = rerank.post(nil, p.qwen3vl)
    local b = rerank.post(nil, p.cohere)
    local c = rerank.post(nil, p.tei)
    check(b, "cohere == qwen3vl", a.scores ~= nil and b.scores ~= nil and same(a.scores, b.scores))
    check(c, "tei == qwen3vl", a.scores ~= nil and c.scores ~= nil and same(a.scores, c.scores))
    -- the best document (the 4th shares most words) ranks first everywhere
    local best = 1
    for i = 2, #docs do if a.scores[i] > a.scores[best] then best = i end end
    check(a, "best is document 4", best == 4)
    local t = rerank.post(nil, p.top2)
    local n = 0
    for i = 1, #docs do if t.scores and t.scores[i] then n = n + 1 end end
    check(t, "top_n = 2 gives 2 scores, the best among them",
          n == 2 and t.scores[4] ~= nil and math.abs(t.scores[4] - a.scores[4]) < 1e-9)
  end },
  thresholds = { checks = "== 100%" },
}
