-- wrk script for HTTP/1.1 pipelining: each connection sends DEPTH requests in one write and
-- waits for all DEPTH responses before sending the next batch.
--   wrk -s bench/pipeline.lua URL -- DEPTH        (DEPTH defaults to 16)
-- wrk counts every response as a request; latency is recorded per batch (first request sent to
-- last response received).
init = function(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "NODUS_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.mean,
      e.connect, e.read, e.write, e.status, e.timeout))
end
