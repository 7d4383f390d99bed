-- qvr.rerank: request and answer shapes of the common rerank APIs.
--
--   local rerank = require "qvr.rerank"
--   local p = rerank.payload { query = "...", documents = { "a", { image = "x.png" } } }
--   task: local r = rerank.post("/api/rerank", p)   -- r.scores in document order
--
-- Dialects:
--   qwen3vl  POST /api/rerank  {instruction, query:{text|image|video}, documents:[{text}|{image}|{video}], fps}
--            answer {"scores": [...]} in document order
--   cohere   POST /v1/rerank   {model, query, documents:[strings], top_n}   (vLLM, Jina, Cohere)
--            answer {"results": [{"index": i, "relevance_score": s}, ...]} sorted by score
--   tei      POST /rerank      {query, texts:[strings]}
--            answer [{"index": i, "score": s}, ...] sorted by score
--
-- Payloads are encoded to JSON once, when the scenario loads; images and
-- videos given as local paths become base64 data: URLs then, never per request.

local json = require "qvr.json"
local http = require "qvr.http"

local M = {}

M.default_path = { qwen3vl = "/api/rerank", cohere = "/v1/rerank", tei = "/rerank" }

local qvr = require "qvr"

-- Standard base64 (RFC 4648) of a binary string, in C.
M.base64 = qvr.base64

-- Largest media file a payload reads (bytes): rerank.max_media for every
-- payload, or max_media = ... in one rerank.payload{} (bytes, or a string
-- such as "50MB": KB, MB and GB count 1024s, as in the limit message).
M.max_media = qvr.media_max

local units = { [""] = 1, b = 1, kb = 1024, kib = 1024, mb = 1024 ^ 2, mib = 1024 ^ 2,
                gb = 1024 ^ 3, gib = 1024 ^ 3 }

local function media_limit(v, level)
  if v == nil then v = M.max_media end
  if type(v) == "number" and v >= 0 then return math.floor(v) end
  if type(v) == "string" then
    local n, u = v:match("^%s*([%d%.]+)%s*(%a*)%s*$")
    local mul = u and units[u:lower()]
    if n and tonumber(n) and mul then return math.floor(tonumber(n) * mul) end
  end
  error(("rerank.payload: max_media must be a size in bytes or a string such as '50MB', got %s")
    :format(tostring(v)), level)
end

local mime = {
  png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif",
  webp = "image/webp", bmp = "image/bmp", mp4 = "video/mp4", webm = "video/webm",
  mov = "video/quicktime",
}

local cache = {}

-- A path becomes a data: URL (read once per process, base64 in C, at
-- most `limit` bytes; a folder, device or FIFO is refused); URLs pass
-- through.
local function media_url(path, what, level, limit)
  if type(path) ~= "string" or path == "" then
    error(("rerank.payload: %s must be a file path or URL"):format(what), level)
  end
  if path:match("^https?://") or path:match("^data:") then return path end
  if cache[path] then return cache[path] end
  local data, err, why = qvr.readfile(path, limit)
  if not data and why == "missing" and not path:match("^/") then
    -- relative paths: the working directory first, then the scenario's own
    local dir = qvr.scenario_dir
    if dir then
      local d2, e2, w2 = qvr.readfile(dir .. "/" .. path, limit)
      if d2 or w2 ~= "missing" then data, err, why = d2, e2, w2 end
    end
  end
  if not data then
    if why == "too_large" then err = err .. " (raise it with max_media = ...)" end
    error(("rerank.payload: cannot read %s '%s': %s"):format(what, path, err), level)
  end
  local ext = (path:match("%.([%w]+)$") or ""):lower()
  local url = qvr.base64(data, "data:" .. (mime[ext] or "application/octet-stream") .. ";base64,")
  data = nil
  if #url > (1 << 20) then collectgarbage() end -- the file's bytes, before JSON doubles it
  cache[path] = url
  return url
end

-- One query or document as the qwen3vl API takes it.
local function item(v, what, level, limit)
  if type(v) == "string" then return { text = v } end
  if type(v) ~= "table" then
    error(("rerank.payload: %s must be a string or {text=|image=|video=}"):format(what), level)
  end
  local out, n = {}, 0
  for k, x in pairs(v) do
    if k == "text" then
      if type(x) ~= "string" then error(("rerank.payload: %s.text must be a string"):format(what), level) end
      out.text = x
    elseif k == "image" or k == "video" then
      out[k] = media_url(x, what .. "." .. k, level + 1, limit)
    else
      error(("rerank.payload: %s: unknown key '%s' (expected text, image or video)"):format(what, tostring(k)), level)
    end
    n = n + 1
  end
  if n == 0 then error(("rerank.payload: %s is empty"):format(what), level) end
  return out
end

local function text_only(v, what, dialect, level)
  if type(v) == "string" then return v end
  if type(v) == "table" and v.text and not v.image and not v.video then return v.text end
  error(("rerank.payload: the %s dialect takes text only (%s)"):format(dialect, what), level)
end

local payload_keys = { instruction = 1, query = 1, documents = 1, dialect = 1,
                       fps = 1, top_n = 1, model = 1, path = 1, name = 1,
                       max_media = 1 }

-- rerank.payload{instruction, query, documents, dialect, fps, top_n, model,
-- path, name, max_media} -> a payload: {dialect, ndocs, body (JSON text), path, name}.
function M.payload(t)
  if type(t) ~= "table" then error("rerank.payload: expected a table", 2) end
  for k in pairs(t) do
    if not payload_keys[k] then
      error(("rerank.payload: unknown key '%s'"):format(tostring(k)), 2)
    end
  end
  local dialect = t.dialect or "qwen3vl"
  if not M.default_path[dialect] then
    error(("rerank.payload: unknown dialect '%s' (qwen3vl, cohere or tei)"):format(tostring(dialect)), 2)
  end
  if t.query == nil then error("rerank.payload: 'query' is required", 2) end
  if type(t.documents) ~= "table" or #t.documents == 0 then
    error("rerank.payload: 'documents' must be a non-empty list", 2)
  end
  local docs, body = {}, nil
  if dialect == "qwen3vl" then
    local limit = media_limit(t.max_media, 3)
    for i, d in ipairs(t.documents) do docs[i] = item(d, "documents[" .. i .. "]", 3, limit) end
    body = { query = item(t.query, "query", 3, limit), documents = docs }
    if t.instruction ~= nil then body.instruction = t.instruction end
    if t.fps ~= nil then
      if type(t.fps) ~= "number" or t.fps <= 0 then error("rerank.payload: 'fps' must be a positive number", 2) end
      body.fps = t.fps
    end
  else
    for i, d in ipairs(t.documents) do docs[i] = text_only(d, "documents[" .. i .. "]", dialect, 3) end
    local q = text_only(t.query, "query", dialect, 3)
    if dialect == "cohere" then
      body = { query = q, documents = docs, model = t.model, top_n = t.top_n }
    else
      body = { query = q, texts = docs }
    end
  end
  return {
    dialect = dialect,
    ndocs = #docs,
    top_n = t.top_n,
    body = json.encode(body),
    path = t.path or M.default_path[dialect],
    name = t.name,
  }
end

local NOT_JSON = "answer is not JSON"

-- Scores in document order from an answer body, or nil and the reason.
function M.parse(p, body)
  local ok, d = pcall(json.decode, body)
  if not ok or d == nil then return nil, NOT_JSON end
  local n = p.ndocs
  if p.dialect == "qwen3vl" then
    if type(d) ~= "table" or type(d.scores) ~= "table" then return nil, "no 'scores' list" end
    if #d.scores ~= n then return nil, ("%d scores for %d documents"):format(#d.scores, n) end
    for i = 1, n do
      if math.type(d.scores[i]) == nil then return nil, "score " .. i .. " is not a number" end
    end
    return d.scores
  end
  local list, field = d, "score"
  if p.dialect == "cohere" then
    if type(d) ~= "table" or type(d.results) ~= "table" then return nil, "no 'results' list" end
    list, field = d.results, "relevance_score"
  elseif type(d) ~= "table" then
    return nil, "answer is not a list"
  end
  local want = n
  if p.top_n and p.top_n < n then want = p.top_n end
  if #list ~= want then return nil, ("%d results for %d documents"):format(#list, want) end
  local scores = {}
  for _, e in ipairs(list) do
    if type(e) ~= "table" or math.type(e.index) ~= "integer" or math.type(e[field]) == nil then
      return nil, "result without integer 'index' and numeric '" .. field .. "'"
    end
    local i = e.index + 1
    if i < 1 or i > n or scores[i] then return nil, "bad or repeated index " .. e.index end
    scores[i] = e[field]
  end
  return scores
end

-- rerank.post(path, payload, opts) from a task: sends the payload, checks
-- the answer ("rerank status 200", "rerank scores valid") and returns the
-- response with .scores in document order (nil when invalid) and
-- .scores_error with the reason. A 200 whose body is not JSON fails as
-- "rerank answer is not JSON" with the failure kind invalid_json instead of
-- the scores check, so that it is told apart from JSON with wrong scores.
function M.post(path, p, opts)
  if type(p) ~= "table" or not p.body then
    error("rerank.post: the second argument must come from rerank.payload{}", 2)
  end
  opts = opts or {}
  local r = http.post(path or p.path, {
    body = p.body,
    headers = { ["Content-Type"] = "application/json" },
    name = opts.name or p.name,
    timeout = opts.timeout,
  })
  local scores, why
  if r.status == 200 then scores, why = M.parse(p, r.body) else why = "status " .. r.status end
  r.scores, r.scores_error = scores, why
  check(r, "rerank status 200", r.status == 200)
  if why == NOT_JSON then
    fail("rerank answer is not JSON", "invalid_json")
  else
    check(r, "rerank scores valid", scores ~= nil)
  end
  return r
end

return M
