-- One GET task, no think time unless WAIT is set; for timing and signal
-- tests against the delay fixture.
return scenario {
  name = "get",
  target = env("QVR_TARGET"),
  load = users { count = tonumber(env("USERS", "20")),
                 spawn_rate = tonumber(env("SPAWN", "1000000")),
                 duration = env("DURATION", "5s") },
  wait = constant(tonumber(env("WAIT", "0"))),
  grace = env("GRACE", "10s"),
  tasks = { get = function() http.get(env("PATH_", "/delay")) end },
}
