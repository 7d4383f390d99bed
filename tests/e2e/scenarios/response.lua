-- Every field of the response object, checked against what nginx sends
-- (tests/e2e/http_response.sh): a named JSON answer with a header of its
-- own, and a request to a closed port.
local function each(r, label, f) check(r, label, f) end
return scenario {
  name = "response",
  target = env("QVR_TARGET"),
  load = users { count = 2, duration = "1s" },
  tasks = { probe = function()
    local r = http.get("/json", { name = "probe" })
    each(r, "status", function(x) return x.status == 200 and x.ok == true end)
    each(r, "body", function(x) return x.body == env("WANT") end)
    each(r, "json", function(x)
      local j = x:json()
      return j.scores[1] == 0.9 and j.scores[3] == 0.5 and x.json().pad == "p"
    end)
    each(r, "headers", function(x)
      return x.headers["x-probe"] == "p1" and x.headers["content-type"] == "application/json"
    end)
    each(r, "name", function(x) return x.name == "probe" end)
    each(r, "version", function(x) return x.version == "1.1" end)
    each(r, "timings", function(x)
      local t = x.timings
      return x.time > 0 and t.response == x.time and t.ttfb > 0 and t.ttfb <= x.time
        and t.service > 0 and t.service <= x.time and t.connect >= 0 and t.tls == 0
        and x.timings == t
    end)
    each(r, "no error", function(x) return x.err == nil and x.kind == nil end)
    local d = http.get(env("DEAD"), { name = "dead" })
    each(d, "dead", function(x)
      return x.status == 0 and x.ok == false and x.kind == "refused"
        and type(x.err) == "string" and #x.err > 0 and x.name == "dead"
    end)
  end },
}
