-- Material for the findings: a slow first request (cold start) or a
-- target that refuses load (the mock with one slot and a queue of one).
local kind = env("KIND", "cold")
local first = true
return scenario {
  name = "findings-" .. kind,
  target = kind == "refuse" and "mock" or env("QVR_TARGET"),
  mock = { service = "50ms", slots = 1, queue = 1 },
  load = users { count = kind == "refuse" and 8 or 2, duration = "3s" },
  wait = constant(kind == "refuse" and 0.05 or 0.01),
  tasks = { t = function()
    if kind == "cold" and first then
      first = false
      http.get(env("SLOW_URL"))
    elseif kind == "refuse" then
      http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
    else
      http.get("/api/rerank")
    end
  end },
}
