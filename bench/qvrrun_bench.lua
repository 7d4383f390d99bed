local n = 0
return scenario {
  name = "bench",
  target = env("QVR_TARGET", "http://127.0.0.1:8080"),
  load = users { count = 50, duration = "10s" },
  tasks = {
    rerank = { run = function()
      n = n + 1
      local r = http.post("/api/rerank", {
        body = '{"query":"q' .. n .. '","documents":["a","b","c"]}',
        headers = { ["Content-Type"] = "application/json" } })
      check(r, "status 200", function(res) return res.status == 200 end)
    end },
  },
}
