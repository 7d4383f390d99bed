#!/usr/bin/env bash
# The mock's LLM serving model in wall-clock time, measured by a small
# script that timestamps every SSE event as it arrives: one stream alone
# (TTFT = 6 ms step + 30 us x 12 prompt tokens, ITL ~6.03 ms), the same
# stream among 128 others (every decode step costs 25 us more per
# sequence: ITL ~9.5 ms), and a stream that must queue because --max-seqs 4
# sequences already run (its TTFT is the rest of their 100 tokens, ~0.6 s,
# as the model computes it). Serial ("timing"): the bounds are a few ms.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir

stop_mock()
{
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID" || fail "the mock exited with $?"
}

# probe MODE: runs the measuring script against $MOCK_URL; prints JSON.
#   alone        one stream of 60 tokens
#   batch        128 streams that are never read, 0.4 s later the probe
#   queue        4 streams of 100 tokens, 0.1 s later the probe
probe()
{
    python3 - "${MOCK_URL#http://}" "$1" <<'EOF'
import http.client, json, socket, sys, time
host, port = sys.argv[1].split(":")
mode = sys.argv[2]

def body(n):
    return json.dumps({"messages": [{"role": "user", "content": "hi"}],
                       "max_tokens": n, "stream": True}).encode()

def background(count, n):
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body(n))) + body(n)
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, int(port)))
        s.sendall(req)
        socks.append(s)
    return socks, time.perf_counter()

bg, t_bg = [], None
if mode == "batch":
    bg, t_bg = background(128, 2000)
    time.sleep(0.4)
elif mode == "queue":
    bg, t_bg = background(4, 100)
    time.sleep(0.1)
c = http.client.HTTPConnection(host, int(port))
c.connect()
t0 = time.perf_counter()
c.request("POST", "/v1/chat/completions", body(60),
          {"Content-Type": "application/json"})
r = c.getresponse()
times = []
while True:
    line = r.readline()
    if not line:
        break
    if line.startswith(b"data: {") and b'"content":"' in line \
            and b'"content":""' not in line:
        times.append(time.perf_counter())
# The mean gap is (last - first) / (n - 1): a late event does not add up
# (the model's steps end at exact times), so on a busy machine it is a
# better estimate than the median of noisy gaps.
print(json.dumps({
    "tokens": len(times),
    "ttft_ms": (times[0] - t0) * 1e3,
    "itl_mean_ms": (times[-1] - times[0]) * 1e3 / (len(times) - 1),
    "sent_after_bg_ms": (t0 - t_bg) * 1e3 if t_bg else 0,
}))
for s in bg:
    s.close()
EOF
}

# --- alone ---------------------------------------------------------------------
start_mock --seed 1
probe alone >"$QVR_TMP/alone"
stop_mock
ttft=$(json_get "$QVR_TMP/alone" 'round(d["ttft_ms"], 2)')
itl=$(json_get "$QVR_TMP/alone" 'round(d["itl_mean_ms"], 3)')
assert_eq "$(json_get "$QVR_TMP/alone" 'd["tokens"]')" 60 "alone: 60 tokens"
# 6 ms + 30 us x 12 prompt tokens = 6.36 ms, plus loopback and Python
assert_ge "$ttft" 6.3 "alone: TTFT >= the model's 6.36 ms ($ttft)"
assert_le "$ttft" 16 "alone: and not a step more (loopback, Python, a busy box)"
# 6 ms + 25 us + 40 ns x ~40 context tokens
assert_near "$itl" 6.03 0.25 "alone: mean ITL ~6.03 ms ($itl)"

# --- among 128 others: the decode step grows with the batch ----------------------
start_mock --seed 1
probe batch >"$QVR_TMP/batch"
stop_mock
ttft_b=$(json_get "$QVR_TMP/batch" 'round(d["ttft_ms"], 2)')
itl_b=$(json_get "$QVR_TMP/batch" 'round(d["itl_mean_ms"], 3)')
# 129 sequences: 6 ms + 129 x 25 us + 40 ns x ~128 x 75 context tokens
assert_near "$itl_b" 9.65 0.4 "in a batch of 129: mean ITL ~9.65 ms ($itl_b)"
# the rest of the step under way (< 9.6 ms), then a step with its prefill
assert_ge "$ttft_b" 9.5 "in the batch: TTFT >= one step ($ttft_b)"
assert_le "$ttft_b" 45 "in the batch: and not queued (a busy box adds its lag)"

# --- queued behind --max-seqs 4 --------------------------------------------------
start_mock --seed 1 --max-seqs 4
probe queue >"$QVR_TMP/queue"
stop_mock
# The 4 run a prefill step (6 ms + 48 x 30 us) and 99 decode steps
# (6 ms + 4 x 25 us + 40 ns x 4 x (12 + k)); the probe is admitted when
# they end and prefills its 12 tokens (6.36 ms).
expect=$(python3 -c '
print(round(6 + 48 * 0.03 + sum(6 + 4 * 0.025 + 4 * (12 + k) * 40e-6
                              for k in range(1, 100)) + 6.36, 2))')
got=$(json_get "$QVR_TMP/queue" 'round(d["ttft_ms"] + d["sent_after_bg_ms"], 2)')
assert_near "$got" "$expect" 15 \
    "queued: first token $got ms after the 4 began; the model says $expect"
ttft_q=$(json_get "$QVR_TMP/queue" 'round(d["ttft_ms"], 1)')
assert_ge "$ttft_q" 400 "queued: its TTFT is the others' rest ($ttft_q ms)"
finish
