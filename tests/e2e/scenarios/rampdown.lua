-- ramp{} down while requests are in flight: two users start, hold, and are
-- stopped by the plan at 1.1 s and 1.15 s; with the target answering after
-- 5 s, their requests are cancelled `grace` after each stop.
return scenario {
  name = "rampdown",
  target = env("QVR_TARGET", "mock"),
  load = ramp { { users = 2, over = "100ms" }, { hold = "1s" },
                { users = 0, over = "100ms" }, { hold = env("TAIL", "6s") } },
  grace = env("GRACE", "1s"),
  timeout = "30s",
  tasks = { r = function()
    -- two requests a task: a stopped user must not send the second
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
    http.post("/api/rerank", { json = { query = "q", documents = { "b" } } })
  end },
}
