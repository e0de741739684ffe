-- wrk's summary as one parseable line: requests/s, p50, p95, p99 latency (ms), non-2xx, socket errors.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
