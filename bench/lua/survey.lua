-- POST /s/<token> as a browser submits it: each prepared target holds a survey path, the
-- session cookie that GET gave that browser, and a body carrying the page's CSRF token.
-- Arguments: the Lua file of targets written by http_bench.py; "nocookie" drops the
-- Cookie header (the self-check that a refused POST is counted as an error).
dofile("lua/common.lua")

local prepared = {}
local position = 0

function init(args)
  local targets = dofile(args[1])
  local with_cookie = args[2] ~= "nocookie"
  for _, target in ipairs(targets) do
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    if with_cookie then
      headers["Cookie"] = target.cookie
    end
    table.insert(prepared, wrk.format("POST", target.path, headers, target.body))
  end
  -- Threads start at different places so they rarely answer the same survey at once.
  position = ((thread_id or 1) - 1) * math.floor(#prepared / 2)
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end
