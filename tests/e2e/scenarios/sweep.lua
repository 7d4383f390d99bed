-- sweep{} and stop_on against the mock: 4 slots of exactly 100 ms.
local shape = env("SHAPE", "sweep")
local load
if shape == "sweep" then
  load = sweep { rates = 4, hold = "4s", settle = "1s", slo = "p99 < 300ms", max_users = 16 }
else
  load = steps { users = { 1, 2, 4, 8, 16 }, hold = "2s", settle = "1s" }
end
return scenario {
  name = "sweep-" .. shape,
  target = "mock",
  mock = { service = "100ms", slots = tonumber(env("SLOTS", "4")), queue = 1000 },
  load = load,
  stop_on = env("STOP_ON", nil),
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
