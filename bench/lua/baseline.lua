-- The baseline: the same form-encoded body on every request to the bare Flask app.
dofile("lua/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "csat=4&ces=6&nps=9&comment=Quick+and+friendly%2C+thank+you."
