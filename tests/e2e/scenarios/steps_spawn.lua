-- steps{} with spawn_rate: users join one at a time at the start of each
-- step; the step's hold begins once they all run.
return scenario {
  name = "steps-spawn",
  target = "mock",
  mock = { service = "20ms", slots = 64 },
  -- OPEN=1: steps of rps, where spawn_rate is a scenario error
  load = env("OPEN", nil)
         and steps { rps = { 1, 2 }, hold = "1s", spawn_rate = 2 }
         or steps { users = { 1, tonumber(env("TOP", "7")) },
                    hold = env("HOLD", "2s"), settle = env("SETTLE", "0s"),
                    spawn_rate = tonumber(env("SPAWN", "2")) },
  wait = constant(0.05),
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
