-- monitor: the standard probe, all day long. `qvrrun monitor
-- scenarios/monitor.lua` sends one rerank request every 30 s and prints
-- P50/P90/P99 over the last 1,000 probes; history.jsonl and monitor.png
-- go to results/monitor-monitor/ and a restart continues them.
--
--   QVR_TARGET=http://gpu-box:7860 qvrrun monitor scenarios/monitor.lua
--   qvrrun monitor scenarios/monitor.lua --duration 10m    (a CI gate: 99)
--   QVR_ON_ALERT='notify-send "$QVR_ALERT_EXPR $QVR_ALERT_STATE"' ...
local rerank = require "qvr.rerank"

local probe = rerank.payload {
  name = "probe",
  instruction = "Re-rank for visual-text alignment.",
  query = "A red sports car driving on mountain road",
  documents = { "High-performance vehicle on winding asphalt",
                "Old sedan parked in garage",
                { image = "../examples/data/camera.png" } },  -- file -> data: URL
}

return scenario {
  name     = "monitor",
  target   = env("QVR_TARGET", "mock"),
  load     = every { interval = env("INTERVAL", "30s"),
                     window = tonumber(env("WINDOW", "1000")) },
  tasks    = { probe = function() rerank.post(nil, probe) end },
  thresholds = {
    p99        = "< 5s",
    error_rate = "< 5%",
  },
  on_alert = env("QVR_ON_ALERT"),
  collect  = { host = true, gpu = env("QVR_GPU_CMD", "nvidia-smi") },
}
