-- wrk script for plain keep-alive runs: no request() or response() hooks (so wrk keeps its
-- fast static-request path); done() prints one machine-readable line for bench/run.sh.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "NODUS_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.mean,
      e.connect, e.read, e.write, e.status, e.timeout))
end
