-- Endless loops that a pcall catches the watchdog's error in, or that run
-- in a coroutine the task made (runaway_nested.sh): MODE=pcall, wrap
-- (coroutine.wrap), nested (coroutine.resume of a coroutine whose loop
-- runs under pcall in a coroutine.wrap, itself under pcall), xpcall (its
-- message handler loops too), close (a __close that loops), coclose (the
-- same, run by coroutine.close), cfind (a
-- pattern match that backtracks for ever: C code, no hook can stop it).
-- A first "ok" iteration answers before any loop (the mock's "/").
local mode = env("MODE", "pcall")
local oks = 0
local function spin() while true do end end
local loops = {
  pcall = function()
    while true do pcall(spin) end
  end,
  wrap = function()
    coroutine.wrap(function() while true do pcall(spin) end end)()
  end,
  nested = function()
    local co = coroutine.create(function()
      while true do
        pcall(function() coroutine.wrap(spin)() end)
      end
    end)
    while true do pcall(coroutine.resume, co) end
  end,
  xpcall = function()
    while true do xpcall(spin, spin) end
  end,
  close = function()
    while true do
      pcall(function()
        local _ <close> = setmetatable({}, { __close = spin })
        spin()
      end)
    end
  end,
  coclose = function()
    while true do
      local co = coroutine.create(function()
        local _ <close> = setmetatable({}, { __close = spin })
        coroutine.yield()
      end)
      coroutine.resume(co)
      pcall(coroutine.close, co)
    end
  end,
  cfind = function()
    string.find(string.rep("a", 60), string.rep("a*", 60) .. "b")
  end,
}
return scenario {
  name = "runaway_nested",
  target = "mock",
  load = users { count = tonumber(env("USERS", "1")),
                 duration = env("DURATION", "1s") },
  grace = env("GRACE", "5s"),
  tasks = {
    t = function()
      if oks == 0 then
        http.get("/health")
        oks = oks + 1
        return
      end
      loops[mode]()
    end,
  },
}
