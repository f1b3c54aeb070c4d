-- wrk script: replay pre-built requests (one "path<TAB>body" line each) without a Python loop.
-- Usage: wrk ... -s pushes.lua <url> -- <file> <threads> <first> <last> <expect>
-- Thread t of n sends lines first+t, first+t+n, ... up to last (1-based, inclusive), each
-- once; it wraps (and counts the wrap) only if the run outlasts its share. A response that is
-- not 200, or whose body lacks <expect>, is counted as bad.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local index = 0
bad_status = 0
bad_body = 0
wraps = 0
sent = 0
local expect = nil

function init(args)
  local file, n, first, last = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  expect = args[5]
  local headers = { ["Content-Type"] = "text/xml" }
  local line_no = 0
  for line in io.lines(file) do
    line_no = line_no + 1
    if line_no > last then break end
    if line_no >= first and (line_no - first) % n == tid then
      local tab = line:find("\t", 1, true)
      local path, body = line:sub(1, tab - 1), line:sub(tab + 1)
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
  end
  if #requests == 0 then error("no requests for thread " .. tid .. " in " .. file) end
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wraps = wraps + 1
  end
  sent = sent + 1
  return requests[index]
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif expect and not body:find(expect, 1, true) then
    bad_body = bad_body + 1
  end
end

function done(summary, latency, requests_)
  local totals = { bad_status = 0, bad_body = 0, wraps = 0, sent = 0, pool = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      if key ~= "pool" then totals[key] = totals[key] + thread:get(key) end
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p90_us\": %d, " ..
    "\"p99_us\": %d, \"max_us\": %d, \"mean_us\": %.1f, \"connect_errors\": %d, " ..
    "\"read_errors\": %d, \"write_errors\": %d, \"status_errors\": %d, \"timeouts\": %d, " ..
    "\"bad_status\": %d, \"bad_body\": %d, \"wraps\": %d, \"sent\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, totals.bad_status, totals.bad_body, totals.wraps, totals.sent))
end
