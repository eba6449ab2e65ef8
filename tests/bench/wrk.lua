-- wrk script for make bench. Environment:
--   BENCH_METHOD, BENCH_PATH   the request (path with query)
--   BENCH_AUTH                 Authorization header value, or empty
--   BENCH_HIT_PREFIX           set: "hit" mode; request i of thread t deletes
--                              version v0 of model BENCH_HIT_PREFIX..g, where
--                              g = i * BENCH_THREADS + t + BENCH_HIT_BASE, so
--                              every request deletes a different version
--   BENCH_BODY                 set: the request body (Content-Type
--                              application/json); every "@N@" in it is
--                              replaced, per request, by BENCH_TAG-t-i
--                              (thread t's request i), so each body differs
--   BENCH_TAG                  see BENCH_BODY
-- done() prints one line: requests seconds p50_us p99_us socket_errors
--                         non_2xx_3xx

local method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH") or ""
local hit_prefix = os.getenv("BENCH_HIT_PREFIX")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local base = tonumber(os.getenv("BENCH_HIT_BASE") or "0")

wrk.method = method
wrk.path = os.getenv("BENCH_PATH") or "/"
if auth ~= "" then
	wrk.headers["Authorization"] = auth
end

local created = 0
function setup(thread)
	thread:set("tid", created)
	created = created + 1
end

local body = os.getenv("BENCH_BODY") or ""
local tag = os.getenv("BENCH_TAG") or "0"
if body ~= "" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
end

if body ~= "" and string.find(body, "@N@", 1, true) then
	local i = 0
	local headers = { ["Content-Type"] = "application/json" }
	if auth ~= "" then
		headers["Authorization"] = auth
	end
	request = function()
		local b = string.gsub(body, "@N@", tag .. "-" .. tid .. "-" .. i)
		i = i + 1
		return wrk.format(method, wrk.path, headers, b)
	end
elseif hit_prefix ~= nil and hit_prefix ~= "" then
	local i = 0
	local headers = { ["Authorization"] = auth }
	request = function()
		local g = i * nthreads + tid + base
		i = i + 1
		return wrk.format(method, hit_prefix .. g .. "?digests=v0",
		    headers)
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %.6f %d %d %d %d\n",
	    summary.requests, summary.duration / 1e6,
	    latency:percentile(50), latency:percentile(99),
	    e.connect + e.read + e.write + e.timeout, e.status))
end
