#!/usr/bin/env bash
# A resolver that never answers: a request whose name lookup is still
# running at the request timeout is a 'dns' failure that says the lookup
# timed out, not a 'timeout'. A target that accepts and never answers stays
# a 'timeout', whether it was reached by a numeric address or by a name that
# resolved (from the hosts file).
#
# The test re-runs itself in its own mount and network namespaces (unshare
# -m -n, as root): there resolv.conf names 127.0.0.1, where a UDP server
# swallows every query, and nsswitch.conf says "files dns", so no local
# cache or systemd-resolved answers for it. Port 53 and the bind mounts
# exist only in those namespaces. Without them the test fails: it cannot
# show the case at all.
source "$(dirname "$0")/lib.sh"

if [[ -z "${QVR_DNS_NS:-}" ]]; then
    unshare -m -n true 2>"${TMPDIR:-/tmp}/qvr-dns-unshare.$$" || {
        err=$(cat "${TMPDIR:-/tmp}/qvr-dns-unshare.$$")
        rm -f "${TMPDIR:-/tmp}/qvr-dns-unshare.$$"
        fail "unshare -m -n is not permitted here ($err): this test needs" \
            "root (CAP_SYS_ADMIN) to give qvrrun a resolver that never answers"
    }
    rm -f "${TMPDIR:-/tmp}/qvr-dns-unshare.$$"
    QVR_DNS_NS=1 exec unshare -m -n -- bash "$0" "$@"
fi

qvr_tmpdir
ip link set lo up || fail "cannot bring up lo in the test's network namespace"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' \
    >"$QVR_TMP/resolv.conf"
printf '127.0.0.1 localhost\n127.0.0.1 qvr-hosts-file.test\n' \
    >"$QVR_TMP/hosts"
printf 'hosts: files dns\n' >"$QVR_TMP/nsswitch.conf"
for f in resolv.conf hosts nsswitch.conf; do
    mount --bind "$QVR_TMP/$f" "/etc/$f" ||
        fail "cannot bind-mount /etc/$f in the test's mount namespace"
done
unset RES_OPTIONS LOCALDOMAIN HOSTALIASES http_proxy https_proxy \
    HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# A DNS server that reads every query and answers none (one line per
# query); and a TCP server that accepts and never answers. Both end by
# themselves after 60 s.
cat >"$QVR_TMP/servers.py" <<'EOF'
import select, socket, sys, time
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 53))
tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen(128)
print("listening on 127.0.0.1:%d" % tcp.getsockname()[1], flush=True)
held, end = [], time.monotonic() + 60
log = open(sys.argv[1], "a", buffering=1)
while time.monotonic() < end:
    r, _, _ = select.select([udp, tcp], [], [], 0.5)
    if udp in r:
        udp.recvfrom(4096)
        log.write("query\n")
    if tcp in r:
        held.append(tcp.accept()[0])
        log.write("accept\n")
EOF
: >"$QVR_TMP/servers.log"
python3 "$QVR_TMP/servers.py" "$QVR_TMP/servers.log" \
    >"$QVR_TMP/servers.out" 2>&1 </dev/null &
qvr_track $!
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' \
        "$QVR_TMP/servers.out")
    [[ -n "$PORT" ]] && break
    sleep 0.05
done
[[ -n "$PORT" ]] || fail "the test's DNS/TCP servers did not start:" \
    "$(cat "$QVR_TMP/servers.out")"

cat >"$QVR_TMP/dns.lua" <<'EOF'
local said = false
return scenario {
  name = "dns_slow",
  target = env("QVR_TARGET"),
  load = users { count = 2, spawn_rate = 1000, duration = "1.5s" },
  timeout = "500ms",
  tasks = {
    get = function()
      local r = http.get("/")
      if r.err and not said then said = true; log("err: " .. r.err) end
    end,
  },
}
EOF

elapsed() { python3 -c "print(round($(date +%s.%N) - $1, 2))"; }
kind() { json_get "$1" "d['totals']['failures_by_kind'].get('$2', 0)"; }

# 1. A name the hosts file does not know: the lookup goes to the silent
#    resolver; every request is 'dns' at the 500 ms timeout, none 'timeout'.
t0=$(date +%s.%N)
QVR_TIMEOUT=20 run_qvrrun "$QVR_TMP/dns.lua" --out "$QVR_TMP/slow" \
    --quiet --no-plots -e QVR_TARGET=http://qvr-silent-resolver.test:8080
el=$(elapsed "$t0")
assert_eq "$RC" 0 "silent resolver: exit 0"
S=$QVR_TMP/slow/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 4 "silent resolver: 2 users x ~3 requests ($req)"
assert_eq "$(kind "$S" dns)" "$req" "every request is a dns failure"
assert_eq "$(kind "$S" timeout)" 0 "none is a timeout"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"dns\": $req}" "no other kind"
assert_ge "$(json_get "$S" 'd["totals"]["latency_ms"]["min"]')" 499 \
    "each waited the full 500 ms for its lookup"
assert_le "$(json_get "$S" 'd["totals"]["latency_ms"]["max"]')" 900 \
    "and no longer"
assert_contains "$QVR_STDERR" "err: name lookup timed out after" \
    "r.err says the name lookup timed out"
assert_ge "$(grep -cx query "$QVR_TMP/servers.log")" "$req" \
    "the silent resolver got the queries"
assert_le "$el" 6 "the stuck resolver threads do not hold the exit (${el}s)"

# 2. A numeric address that accepts and never answers: 'timeout', no dns.
: >"$QVR_TMP/servers.log"
QVR_TIMEOUT=20 run_qvrrun "$QVR_TMP/dns.lua" --out "$QVR_TMP/num" \
    --quiet --no-plots -e QVR_TARGET="http://127.0.0.1:$PORT"
assert_eq "$RC" 0 "numeric target: exit 0"
S=$QVR_TMP/num/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 4 "numeric target: 2 users x ~3 requests ($req)"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"timeout\": $req}" "numeric target: every request a timeout, no dns"
assert_eq "$(grep -cx query "$QVR_TMP/servers.log")" 0 \
    "numeric target: no DNS query"
assert_ge "$(grep -cx accept "$QVR_TMP/servers.log")" 1 \
    "numeric target: connections accepted"

# 3. A name found in the hosts file, same silent server: the lookup
#    completed, so the request timed out on the target: 'timeout'.
QVR_TIMEOUT=20 run_qvrrun "$QVR_TMP/dns.lua" --out "$QVR_TMP/named" \
    --quiet --no-plots -e QVR_TARGET="http://qvr-hosts-file.test:$PORT"
assert_eq "$RC" 0 "resolved name: exit 0"
S=$QVR_TMP/named/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 4 "resolved name: 2 users x ~3 requests ($req)"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"]')" \
    "{\"timeout\": $req}" "resolved name: every request a timeout, no dns"
finish
