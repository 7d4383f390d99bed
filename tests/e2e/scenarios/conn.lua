-- One GET task with optional headers and body check, for the connection
-- and header tests against nginx (tests/e2e/http_conn.sh).
local ae, ua, want = env("AE", ""), env("UA", ""), env("WANT", "")
local bodylen = tonumber(env("BODYLEN", "0"))
return scenario {
  name = "conn",
  target = env("QVR_TARGET"),
  load = users { count = tonumber(env("USERS", "4")), spawn_rate = 1000000,
                 duration = env("DURATION", "3s") },
  wait = constant(tonumber(env("WAIT", "0"))),
  tasks = { get = function()
    local h = {}
    if ae ~= "" then h["Accept-Encoding"] = ae end
    if ua ~= "" then h["User-Agent"] = ua end
    local r
    if bodylen > 0 then
      r = http.post(env("PATH_", "/"), { headers = h, body = string.rep("x", bodylen) })
    else
      r = http.get(env("PATH_", "/"), { headers = h })
    end
    check(r, "status 200", function(x) return x.status == 200 end)
    if want ~= "" then
      check(r, "body", function(x) return x.body == want end)
    end
  end },
}
