-- wrk-browser.lua: POSTs the form as browsers do: each request carries one browser's session cookie and CSRF token and
-- a submission token never used before (a browser's form page makes a fresh one for every submission), and
-- confirmed=yes, which the page's script adds once the operator has confirmed the dialog.
--
--   WRK_BROWSERS='<cookie>\t<csrf>|<cookie>\t<csrf>|…' WRK_HEADERS='X-Proxy-Remote-User: bench' \
--     wrk -t2 -c32 -d10s --latency -s bench/wrk-browser.lua http://127.0.0.1:PORT/send_preliminary_gcn
--
-- Settings (environment): WRK_BROWSERS (required: the sessions, from GET / of each browser), WRK_FIELDS (the form's
-- fields, default superevent_id=S240101abc&event_id=G123456), WRK_HEADERS (extra headers "Name: v|Name2: v2"),
-- WRK_RUN (a word that makes this run's tokens differ from another run's). Prints the same summary as
-- ../shared/bench/peer/wrk_post.lua (requests, latency, status codes, redirect targets).

local fields = os.getenv("WRK_FIELDS") or "superevent_id=S240101abc&event_id=G123456"
local run = os.getenv("WRK_RUN") or "run"
local browsers = {}
for entry in string.gmatch(os.getenv("WRK_BROWSERS") or "", "[^|]+") do
  local cookie, csrf = string.match(entry, "^([^\t]+)\t(.+)$")
  if cookie then table.insert(browsers, { cookie = cookie, csrf = csrf }) end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local extra = os.getenv("WRK_HEADERS")
if extra and extra ~= "" then
  for h in string.gmatch(extra, "[^|]+") do
    local k, v = string.match(h, "^%s*([^:]+):%s*(.-)%s*$")
    if k then headers[k] = v end
  end
end

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  targets = {}
  sent = 0
  if #browsers == 0 then
    io.write("wrk-browser.lua: WRK_BROWSERS is empty\n")
    os.exit(2)
  end
end

local function escape(s)
  return (string.gsub(s, "[^%w_.~-]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  sent = sent + 1
  local browser = browsers[(sent + thread_id) % #browsers + 1]
  headers["Cookie"] = browser.cookie
  local token = string.format("wrk%s%dx%08d", run, thread_id, sent)
  local body = fields .. "&confirmed=yes&_csrf=" .. escape(browser.csrf) .. "&submission_token=" .. token
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
  local loc = hdrs["Location"] or hdrs["location"]
  if loc then
    local bucket = string.gsub(string.gsub(loc, "^https?://[^/]+", ""), "/[^/]+$", "/*")
    if bucket == "/*" then bucket = "/" end
    targets[bucket] = (targets[bucket] or 0) + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("requests: %d in %.2fs = %.1f req/s; errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
  local st, tg = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses") or {}) do st[k] = (st[k] or 0) + v end
    for k, v in pairs(t:get("targets") or {}) do tg[k] = (tg[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format("%s=%d", tostring(k), v)) end
  table.sort(parts)
  if #parts > 0 then io.write("status codes: " .. table.concat(parts, " ") .. "\n") end
  parts = {}
  for k, v in pairs(tg) do table.insert(parts, string.format("%s=%d", k, v)) end
  table.sort(parts)
  if #parts > 0 then io.write("redirect targets: " .. table.concat(parts, " ") .. "\n") end
end
