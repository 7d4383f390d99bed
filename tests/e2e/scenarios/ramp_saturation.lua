-- ramp{} with stop_on = "saturation" against an external target (the
-- test's mock, one slot or many).
return scenario {
  name = "ramp-saturation",
  target = env("QVR_TARGET", "mock"),
  load = ramp { { users = tonumber(env("USERS", "20")), over = env("OVER", "20s") } },
  stop_on = "saturation",
  tasks = { r = function()
    http.post("/api/rerank", { json = { query = "q", documents = { "a" } } })
  end },
}
