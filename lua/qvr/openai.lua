-- qvr.openai: OpenAI-compatible inference APIs (vLLM, SGLang, TGI, llama.cpp,
-- Ollama's /v1, hosted APIs): chat completions, completions, embeddings.
--
--   local openai = require "qvr.openai"
--   local chat = openai.chat { messages = { { role = "user", content = "Hi" } },
--                              max_tokens = 128 }
--   task: local r = openai.send(chat)   -- r.ttft, r.tpot, r.tokens, r.events
--
-- Chat and completions stream by default (stream = true, with
-- stream_options.include_usage so that the server reports the tokens it
-- generated); qvrrun times every event as it arrives. stream = false sends a
-- plain request and reads choices and usage from the answer.
--
-- The model is the request's `model`, else the scenario's `openai.model =`,
-- else the first one GET /v1/models lists (asked once per worker, from the
-- first task that needs it). An API key comes from OPENAI_API_KEY or
-- QVR_API_KEY, sent as "Authorization: Bearer ..." and redacted from every
-- log and result. Images (vision chat): images = { "photo.png", ... } adds
-- them to the last user message as image_url parts with data: URLs, read
-- once when the scenario loads.

local json = require "qvr.json"
local http = require "qvr.http"

local M = {}

M.model = nil -- the scenario may set it: openai.model = "..."
M.paths = { chat = "/v1/chat/completions", completion = "/v1/completions",
            embeddings = "/v1/embeddings", models = "/v1/models" }

local listed_model -- what GET /v1/models gave, once per worker

local function api_key()
  local k = env("OPENAI_API_KEY", "")
  if k == "" then k = env("QVR_API_KEY", "") end
  return k ~= "" and k or nil
end

local function headers()
  local h = { ["Content-Type"] = "application/json" }
  local k = api_key()
  if k then h["Authorization"] = "Bearer " .. k end
  return h
end

local mime = { png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg",
               gif = "image/gif", webp = "image/webp" }

-- A local image as a data: URL (URLs pass through).
local function image_url(path, level)
  if type(path) ~= "string" or path == "" then
    error("openai.chat: images must be file paths or URLs", level)
  end
  if path:match("^https?://") or path:match("^data:") then return path end
  local f, err = io.open(path, "rb")
  if not f and not path:match("^/") then
    local dir = require("qvr").scenario_dir
    if dir then f = io.open(dir .. "/" .. path, "rb") end
  end
  if not f then
    error(("openai.chat: cannot read image '%s': %s"):format(path, err), level)
  end
  local data = f:read("a")
  f:close()
  local ext = (path:match("%.([%w]+)$") or ""):lower()
  return "data:" .. (mime[ext] or "application/octet-stream") .. ";base64,"
    .. require("qvr.rerank").base64(data)
end

local KNOWN = { kind = 1, path = 1, name = 1, stream = 1, text = 1, images = 1,
                first_token_timeout = 1, timeout = 1 }

-- The request table: every field that is not ours goes to the API as is.
local function build(kind, t, level)
  if type(t) ~= "table" then
    error(("openai.%s: expected a table"):format(kind), level)
  end
  local body = {}
  for k, v in pairs(t) do
    if not KNOWN[k] then body[k] = v end
  end
  local req = { kind = kind, path = t.path or M.paths[kind],
                name = t.name or kind, text = t.text,
                first_token_timeout = t.first_token_timeout,
                timeout = t.timeout, stream = false }
  if kind == "chat" then
    if type(body.messages) ~= "table" and type(t.prompt) == "string" then
      body.messages = { { role = "user", content = t.prompt } }
      body.prompt = nil
    end
    if type(body.messages) ~= "table" or #body.messages == 0 then
      error("openai.chat: messages = { { role = ..., content = ... } } or prompt = '...'", level)
    end
    if t.images then
      local last = body.messages[#body.messages]
      local parts = { { type = "text", text = last.content or "" } }
      for _, p in ipairs(t.images) do
        parts[#parts + 1] = { type = "image_url", image_url = { url = image_url(p, level + 1) } }
      end
      last.content = parts
    end
  elseif kind == "completion" then
    if body.prompt == nil then
      error("openai.completion: prompt = '...' is required", level)
    end
  elseif kind == "embeddings" then
    if body.input == nil then
      error("openai.embeddings: input = '...' or { ... } is required", level)
    end
  end
  if kind ~= "embeddings" and t.stream ~= false then
    body.stream = true
    body.stream_options = body.stream_options or { include_usage = true }
    req.stream = true
  end
  req.body_table = body
  if body.model or M.model then
    body.model = body.model or M.model
    req.body = json.encode(body)
  end
  return req
end

function M.chat(t) return build("chat", t, 3) end
function M.completion(t) return build("completion", t, 3) end
function M.embeddings(t) return build("embeddings", t, 3) end

-- The first model GET /v1/models lists (inside a task), cached.
function M.list_model()
  if listed_model then return listed_model end
  local r = http.get(M.paths.models, { name = "models", headers = headers() })
  local d = r.status == 200 and r:json()
  local id = d and type(d.data) == "table" and d.data[1] and d.data[1].id
  check(r, "openai /v1/models lists a model", type(id) == "string")
  if type(id) ~= "string" then
    error("openai: no model given and GET " .. M.paths.models .. " listed none", 0)
  end
  listed_model = id
  return id
end

-- The body, with the model filled in once it is known.
local function body_of(req)
  if req.body then return req.body end
  req.body_table.model = M.model or M.list_model()
  req.body = json.encode(req.body_table)
  return req.body
end

-- A plain (non-streamed) answer's text and usage into r.
local function read_plain(req, r)
  local d = r:json()
  if type(d) ~= "table" then
    fail("openai answer is not JSON", "invalid_json")
    return
  end
  if req.kind == "embeddings" then
    local n = type(d.data) == "table" and #d.data or 0
    local want = type(req.body_table.input) == "table" and #req.body_table.input or 1
    r.embeddings = n
    check(r, "openai embeddings: one per input", n == want)
    local e = n > 0 and d.data[1].embedding
    check(r, "openai embeddings: vectors", type(e) == "table" and #e > 0)
  else
    local c = type(d.choices) == "table" and d.choices[1]
    local text = c and (c.message and c.message.content or c.text)
    check(r, "openai answer has text", type(text) == "string")
    if req.text then r.text = text end
  end
  if type(d.usage) == "table" then
    r.tokens = d.usage.completion_tokens
    r.input_tokens = d.usage.prompt_tokens
  end
end

-- Sends req (from openai.chat / completion / embeddings) and checks the
-- answer: status 200, and for a stream at least one token; a stream's
-- faults (cut, error event, malformed event) are failures of their own
-- kind already. Returns the response.
function M.send(req, opts)
  if type(req) ~= "table" or not req.kind then
    error("openai.send: the argument must come from openai.chat/completion/embeddings", 2)
  end
  opts = opts or {}
  local r = http.post(req.path, {
    body = body_of(req),
    headers = headers(),
    name = opts.name or req.name,
    timeout = opts.timeout or req.timeout,
    stream = req.stream and "sse" or false,
    text = opts.text or req.text,
    first_token_timeout = opts.first_token_timeout or req.first_token_timeout,
  })
  check(r, "openai status 200", r.status == 200)
  if r.status ~= 200 then return r end
  if req.stream then
    check(r, "openai stream carried tokens", (r.tokens or 0) > 0)
  else
    read_plain(req, r)
  end
  return r
end

return M
