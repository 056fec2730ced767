-- Shared by every bench script (loaded with dofile; wrk runs with cwd = bench/).
-- Each wrk thread has its own Lua state: it counts the statuses it sees, and done()
-- (in the main state) adds them up through the thread handles kept by setup().

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  -- A per-thread number, so scripts can make ids that no other thread makes.
  thread:set("thread_id", #threads)
end

statuses = {}
bad_responses = 0

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  -- Anything but 2xx/3xx is an error (a CSRF failure is 400, a validation failure 422).
  if status < 200 or status > 399 then
    bad_responses = bad_responses + 1
  end
end

-- One "RESULT key value" line per figure; http_bench.py reads them.
function done(summary, latency, requests)
  local bad, counts = 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad_responses")
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local errors = summary.errors
  local lines = {
    {"requests", summary.requests},
    {"duration_us", summary.duration},
    {"p50_us", latency:percentile(50)},
    {"p99_us", latency:percentile(99)},
    {"max_us", latency.max},
    {"bad_status", bad},
    {"socket_errors", errors.connect + errors.read + errors.write + errors.timeout},
  }
  for status, count in pairs(counts) do
    table.insert(lines, {"status_" .. status, count})
  end
  for _, line in ipairs(lines) do
    io.write(string.format("RESULT %s %.1f\n", line[1], line[2]))
  end
end
