-- data.lines / data.jsonl: loaded once, shared by every user, read-only.
local queries = data.lines(env("LINES", "../data/queries.txt"))
local reqs = data.jsonl(env("JSONL", "../data/requests.jsonl"))
if env("HTTP_AT_LOAD", "") == "1" then http.get("/x") end
local i = 0
return scenario {
  name = "data",
  target = env("QVR_TARGET"),
  load = users { count = 3, duration = "1s" },
  wait = constant(0.02),
  tasks = { t = function()
    i = i + 1
    local q = queries[i % #queries + 1]
    local r = reqs[i % #reqs + 1]
    local res = http.post("/api/rerank", { json = { query = q, documents = r.docs } })
    check(res, "shared table", data.lines(env("LINES", "../data/queries.txt")) == queries)
    check(res, "3 lines, CR and blank line dropped", #queries == 3 and queries[2] == "running shoes")
    check(res, "read-only", not pcall(function() queries[1] = "x" end))
  end },
  thresholds = { checks = "== 100%" },
}
