-- One GET task against QVR_TARGET, with an optional warm-up (WARMUP
-- requests), for stop_signals.sh (SIGHUP, nohup, a signal in the warm-up).
return scenario {
  name = "stop_signals",
  target = env("QVR_TARGET"),
  load = users { count = tonumber(env("USERS", "2")),
                 duration = env("DURATION", "30s") },
  warmup = { requests = tonumber(env("WARMUP", "0")) },
  tasks = { get = function() http.get("/delay") end },
}
