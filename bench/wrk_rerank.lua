-- bench/wrk_rerank.lua: wrk's side of bench/throughput.sh. Every request
-- carries a distinct JSON rerank body (the query holds a counter), built in
-- Lua like qvrrun_bench.lua's task, so both pay for per-request scripting.
--   wrk -t1 -c50 -d10s -s bench/wrk_rerank.lua http://127.0.0.1:PORT
local n = 0

wrk.method = "POST"
wrk.path = "/api/rerank"
wrk.headers["Content-Type"] = "application/json"

function request()
  n = n + 1
  return wrk.format(nil, nil, nil,
    '{"query":"q' .. n .. '","documents":["a","b","c"]}')
end
