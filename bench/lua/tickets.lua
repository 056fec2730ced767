-- POST /api/v1/tickets/closed: every request reports a new ticket closure.
-- Arguments: the API key, a label unique to this wrk run, and closed_at.
dofile("lua/common.lua")

local label, closed_at
local counter = 0

function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  label = args[2] .. "-" .. (thread_id or 1)
  closed_at = args[3]
end

function request()
  counter = counter + 1
  local ticket = label .. "-" .. counter
  local body = '{"ticket_id": "' .. ticket .. '", "closed_at": "' .. closed_at .. '", '
    .. '"customer": {"email": "c' .. ticket .. '@example.com", "name": "C"}, '
    .. '"agent": {"email": "a@example.com", "name": "A"}, '
    .. '"team": "Billing", "channel": "email"}'
  return wrk.format(nil, nil, nil, body)
end
