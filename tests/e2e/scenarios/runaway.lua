-- A task that never yields (an endless loop on every 5th iteration once
-- the normal task has answered, or on every one with MODE=loop) beside one
-- that yields normally: the watchdog stops the loop with a task error and
-- the run goes on (runaway_task.sh). Waiting for the first answer keeps the
-- test deterministic: a spin before any "ok" iteration blocks this loop
-- thread's other user until the run's end (CI saw "ok" at 0 requests).
local n, oks = 0, 0
local function spin()
  local x = 0
  while true do x = x + 1 end
end
local tasks = {
  ok = function()
    http.get("/")
    oks = oks + 1
    sleep(0.05)
  end,
  loop = function()
    n = n + 1
    if oks > 0 and n % 5 == 0 then spin() end
    sleep(0.05)
  end,
}
if env("MODE", "") == "loop" then tasks = { loop = spin } end
return scenario {
  name = "runaway",
  target = "mock",
  load = users { count = tonumber(env("USERS", "2")),
                 duration = env("DURATION", "3s") },
  tasks = tasks,
}
