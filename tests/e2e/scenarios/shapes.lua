-- Load shapes against the built-in mock; the shape and the mock's service
-- model come from -e SHAPE=... and friends.
local shape = env("SHAPE", "steps")
local load
if shape == "steps" then
  load = steps { users = { 1, 2, 4, 8 }, hold = env("HOLD", "4s"), settle = "1s" }
elseif shape == "rate" then
  load = rate { rps = tonumber(env("RPS", "5")), duration = env("DUR", "20s"),
                arrival = env("ARRIVAL", "constant"),
                max_users = tonumber(env("MAXU", "1000")) }
elseif shape == "ramp" then
  load = ramp { { users = 20, over = "10s" }, { hold = "10s" } }
end

return scenario {
  name = "shapes-" .. shape,
  target = "mock",
  mock = { service = env("SVC", "100ms"), slots = tonumber(env("SLOTS", "1")),
           stall = env("STALL", nil), queue = tonumber(env("QUEUE", "1000")) },
  load = load,
  wait = constant(tonumber(env("WAIT", "0"))),
  grace = env("GRACE", "10s"),
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
