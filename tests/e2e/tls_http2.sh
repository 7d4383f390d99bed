#!/usr/bin/env bash
# TLS is verified by default: a self-signed certificate is a 'tls' failure;
# insecure = true accepts it and says so in the banner and the summary; over
# TLS with ALPN, the answers come over HTTP/2 where the server offers it.
source "$(dirname "$0")/lib.sh"
qvr_tmpdir
command -v openssl >/dev/null || bash "$QVR_SRC_DIR/tools/install-deps.sh" openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$QVR_TMP/key.pem" -out "$QVR_TMP/cert.pem" 2>/dev/null
TLS_PORT=$(free_port)
start_nginx "
    }
    server {
        listen 127.0.0.1:$TLS_PORT ssl http2;
        ssl_certificate $QVR_TMP/cert.pem;
        ssl_certificate_key $QVR_TMP/key.pem;
        location / { return 200 '{\"scores\":[0.5]}'; }
"
wait_port "$TLS_PORT" "$NGINX_PID" 10 || fail "nginx TLS port not up"
SC=$QVR_SRC_DIR/tests/e2e/scenarios/tls.lua

run_qvrrun "$SC" --out "$QVR_TMP/v" -e QVR_TARGET="https://127.0.0.1:$TLS_PORT"
assert_eq "$RC" 0 "verified run exits 0 (no thresholds)"
S=$QVR_TMP/v/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 1 "requests attempted"
assert_eq "$(json_get "$S" 'd["totals"]["failures_by_kind"].get("tls", 0)')" "$req" "self-signed certificate: every request a tls failure"
assert_eq "$(json_get "$S" 'd["config"]["insecure"]')" false "verification on by default"

run_qvrrun "$SC" --out "$QVR_TMP/i" -e QVR_TARGET="https://127.0.0.1:$TLS_PORT" -e INSECURE=1
assert_eq "$RC" 0 "insecure run exits 0"
S=$QVR_TMP/i/summary.json
req=$(json_get "$S" 'd["totals"]["requests"]')
assert_ge "$req" 5 "answers over TLS"
assert_eq "$(json_get "$S" 'd["totals"]["failures"]')" 0 "no failures with insecure = true"
assert_eq "$(json_get "$S" 'd["config"]["insecure"]')" true "summary states insecure"
assert_contains "$QVR_STDERR" "TLS certificate verification is OFF"
assert_eq "$(json_get "$S" 'd["totals"]["http_versions"].get("2", 0)')" "$req" "every answer over HTTP/2"
assert_ge "$(json_get "$S" 'd["totals"]["connections_ms"]["tls_handshakes"]')" 1 "TLS handshakes timed"

run_qvrrun "$SC" --out "$QVR_TMP/p" -e QVR_TARGET="http://127.0.0.1:$NGINX_PORT"
assert_eq "$(json_get "$QVR_TMP/p/summary.json" 'list(d["totals"]["http_versions"].keys())')" '["1.1"]' "plain http stays HTTP/1.1"
finish
