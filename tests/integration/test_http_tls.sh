#!/usr/bin/env bash
# HTTPS: with tls_cert and tls_key, sluiced speaks TLS (1.2 or later) on its
# port and nothing else; a key that does not match the certificate, or a
# certificate that is not one, is refused at start with a message naming
# the setting.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is needed"
command -v curl >/dev/null || fail "curl is needed"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -days 1 -subj /CN=localhost 2>/dev/null ||
    fail "openssl could not make a certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.pem" \
    -out "$T/other-cert.pem" -days 1 -subj /CN=other 2>/dev/null

# A published data-set, so that an object goes through TLS too (objects are
# sent with sendfile in plain HTTP; TLS must encrypt them instead).
head -c 300000 /dev/urandom > "$T/blob.bin"
sl_ok ingest ingest --data-dir "$T/data" --format blob --chunk-size 100000 "$T/blob.bin"
id=$(tail -n 1 "$T/ingest.out")
spawn tls serve --data-dir "$T/data" --listen 127.0.0.1:0 --web-dir "" \
    --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
for _ in $(seq 100); do
    grep -q "listening on" "$T/tls.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^sluiced: listening on //p' "$T/tls.out")
case "$url" in https://127.0.0.1:*) ;; *) fail "no https listening line: '$url'" ;; esac

body=$(curl -sS --cacert "$T/cert.pem" --resolve "localhost:${url##*:}:127.0.0.1" \
       "https://localhost:${url##*:}/healthz") || fail "healthz over TLS failed"
echo "$body" | grep -q '"status":"ok"' || fail "healthz over TLS said: $body"
curl -sS -k --tlsv1.2 --tls-max 1.2 "$url/v1/datasets" | grep -q '"items"' ||
    fail "TLS 1.2 is not served"
oid=$(curl -sS -k "$url/v1/datasets/$id/chunks" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["chunks"][1]["object_id"])') ||
    fail "no manifest over TLS"
curl -sS -k -o "$T/obj" "$url/v1/objects/$oid" || fail "object over TLS failed"
[ "$(sha256sum "$T/obj" | cut -d' ' -f1)" = "$oid" ] ||
    fail "the object fetched over TLS does not hash to its id"
if curl -sS -k --tls-max 1.1 "$url/healthz" >/dev/null 2>&1; then
    fail "TLS 1.1 was accepted"
fi
# Plain HTTP to the TLS port gets no answer it could mistake for one.
if curl -sS --max-time 3 "http://127.0.0.1:${url##*:}/healthz" 2>/dev/null |
        grep -q '"status":"ok"'; then
    fail "plain HTTP was answered on the TLS port"
fi
kill "$PID"
reap "$PID" tls
[ "$RC" -eq 0 ] || fail "sluiced exited $RC after SIGTERM"

sl badkey serve --data-dir "$T/data2" --listen 127.0.0.1:0 \
    --tls-cert "$T/cert.pem" --tls-key "$T/other.pem"
[ "$RC" -ne 0 ] || fail "a key that does not match the certificate was accepted"
grep -q "tls_key" "$T/badkey.err" || fail "the refusal does not name tls_key: $(cat "$T/badkey.err")"
sl badcert serve --data-dir "$T/data3" --listen 127.0.0.1:0 \
    --tls-cert "$T/key.pem" --tls-key "$T/key.pem"
[ "$RC" -ne 0 ] || fail "a key file as the certificate was accepted"
grep -q "tls_cert" "$T/badcert.err" || fail "the refusal does not name tls_cert: $(cat "$T/badcert.err")"
echo "ok: TLS served, old versions and bad keys refused"
