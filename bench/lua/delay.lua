-- wrk script: WRK_DELAY_MS=n waits n ms before each request of a connection (a paced load);
-- prints the request count as one JSON line.
local d = tonumber(os.getenv("WRK_DELAY_MS") or "0")
function delay() return d end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"lat_p50_us":%d,"lat_p99_us":%d}\n',
    summary.requests, latency:percentile(50), latency:percentile(99)))
end
