#!/usr/bin/env bash
# The owner's story through the sluice CLI against a live sluiced on port
# 0: make a key, create a priced draft, upload a ~40 MiB CSV in 4 MiB
# parts, kill the upload with SIGKILL after a few parts and run it again
# (it resumes: only the missing parts are sent, as the gateway's access log
# shows), publish and wait, list and show, reprice, unlist; then stop the
# gateway and check that `sluiced export` gives back the file byte for
# byte. Misuse: another key cannot upload to the owner's draft (404), a bad
# gateway URL, a missing or readable-by-others key file; each is one line
# on stderr and a non-zero exit.
source "$(dirname "$0")/lib.sh"

B=${SLUICE_BUILD:?set SLUICE_BUILD to the build folder}
case $B in /*) ;; *) B=$PWD/$B ;; esac
SLUICE=$B/sluice
[ -x "$SLUICE" ] || fail "$SLUICE is not executable"

# cli NAME ARGS...: run sluice ARGS, stdout to $T/NAME.out, stderr to
# $T/NAME.err, exit status in $RC.
cli() {
    local name=$1
    shift
    RC=0
    "$SLUICE" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    check_sanitizer "$T/$name.err" "sluice $*"
}

# Say so when the gateway died under us (its stderr ends the log).
gateway_alive() {
    [ -z "${SERVE_PID:-}" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null && return 0
    echo "--- the end of sluiced's stderr ---" >&2
    tail -n 5 "$T/serve.err" >&2
    fail "sluiced (pid $SERVE_PID) is no longer running"
}

cli_ok() {
    local name=$1
    cli "$@"
    if [ "$RC" -ne 0 ]; then
        shift
        echo "--- stderr of sluice $* ---" >&2
        tail -n 20 "$T/$name.err" >&2
        gateway_alive
        fail "sluice $* exited $RC"
    fi
}

# cli_bad NAME REGEX ARGS...: sluice ARGS fails (not by a signal) with one
# line on stderr matching REGEX.
cli_bad() {
    local name=$1 re=$2
    shift 2
    cli "$name" "$@"
    if [ "$RC" -eq 0 ] || [ "$RC" -ge 128 ]; then
        cat "$T/$name.err" >&2
        soft_fail "$name: sluice $* exited $RC"
        return
    fi
    one_line_matching "$T/$name.err" "$re" "$name (sluice $*)" || gateway_alive
}

# PUTs of parts of data-set $1 that the gateway answered 200.
puts_ok() {
    grep -c -E "access [^ ]+ PUT /v1/datasets/$1/parts/[0-9]+ 200 " "$T/serve.err" || true
}

# --- the gateway ----------------------------------------------------------
DATA=$T/var
spawn serve --data-dir "$DATA" --listen 127.0.0.1:0 --log-level info
SERVE_PID=$PID
for _ in $(seq 1 100); do
    grep -q 'listening on http://' "$T/serve.out" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$T/serve.err" >&2; fail "sluiced died at start"; }
    sleep 0.1
done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/serve.out" | head -n 1)
[ -n "$PORT" ] || fail "no listening line from sluiced"
export SLUICE_GATEWAY=http://127.0.0.1:$PORT
export SLUICE_KEY=$T/keys/owner.key
note "sluiced on port $PORT"

# --- key ----------------------------------------------------------------
cli_ok key-new key new
ADDR=$(cat "$T/key-new.out")
[[ $ADDR =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "key new printed '$ADDR'"
[ "$(stat -c %a "$SLUICE_KEY")" = 600 ] || soft_fail "the key file has mode $(stat -c %a "$SLUICE_KEY")"
[ "$(stat -c %a "$T/keys")" = 700 ] || soft_fail "the key folder has mode $(stat -c %a "$T/keys")"
grep -q -E '^0x[0-9a-f]{64}$' "$SLUICE_KEY" || soft_fail "the key file is not one line of 0x + 64 hex"
cp "$SLUICE_KEY" "$T/key.before"
cli_bad key-again 'already exists' key new
cmp -s "$SLUICE_KEY" "$T/key.before" || soft_fail "key new overwrote the key"
cli_ok key-address key address
[ "$(cat "$T/key-address.out")" = "$ADDR" ] || soft_fail "key address differs from key new"
if grep -q -i -f <(sed 's/^0x//' "$SLUICE_KEY") "$T"/key-*.out "$T"/key-*.err; then
    soft_fail "the secret key was printed"
fi

# --- create -----------------------------------------------------------------
cli_ok create dataset create --name "Owner test set" --format csv \
    --description "made by test_cli_owner" --tag cli-test --tag owner \
    --license CC0 --chunk-size 1M --preview-rows 5 \
    --price-metered per_query=1,per_chunk=2,per_row=0,per_mib=5
ID=$(cat "$T/create.out")
[[ $ID =~ ^0x[0-9a-f]{64}$ ]] || fail "dataset create printed '$ID'"
cli_ok show-draft show "$ID"
grep -q -E '^state +draft$' "$T/show-draft.out" || soft_fail "a new data-set is not a draft"
grep -q -E '^price +metered: 1 gwei per query \+ 2 gwei per chunk \+ 5 gwei per MiB$' \
    "$T/show-draft.out" || soft_fail "show does not give the metered price"

# --- upload, killed, resumed ---------------------------------------------------
ROWS=$(python3 - "$T/data.csv" <<'EOF'
import random, sys
rnd = random.Random(7)
n = 0
with open(sys.argv[1], "w", newline="") as f:
    f.write("id,name,price,qty,note\n")
    while f.tell() < 40 * 1024 * 1024:
        f.write('%d,item-%d,%d.%02d,%d,"%s"\n' % (n, n, rnd.randrange(1000), n % 100,
                rnd.randrange(100000), "x, y" * rnd.randrange(0, 12)))
        n += 1
print(n)
EOF
)
SIZE=$(stat -c %s "$T/data.csv")
PARTS=$(( (SIZE + 4194303) / 4194304 ))
note "data.csv: $SIZE bytes, $ROWS rows, $PARTS parts of 4 MiB"

# Slowed down so that it is surely still running after part 3.
"$SLUICE" upload "$ID" "$T/data.csv" --part-size 4M --limit-rate 12M \
    >"$T/up1.out" 2>"$T/up1.err" &
UP=$!
for _ in $(seq 1 300); do
    grep -q '^part 3/' "$T/up1.err" 2>/dev/null && break
    kill -0 "$UP" 2>/dev/null || break
    sleep 0.02
done
kill -9 "$UP" 2>/dev/null
RC=0
{ wait "$UP"; } 2>/dev/null || RC=$?
[ "$RC" -eq 137 ] || fail "the first upload was not killed midway (exit $RC): $(cat "$T/up1.err")"
check_sanitizer "$T/up1.err" "sluice upload (killed)"
sleep 0.2 # the gateway logs the request the kill cut short
BEFORE=$(puts_ok "$ID")
[ "$BEFORE" -ge 3 ] && [ "$BEFORE" -lt "$PARTS" ] ||
    fail "after the kill the gateway holds $BEFORE of $PARTS parts"
note "killed after $BEFORE parts"

cli_ok up2 upload "$ID" "$T/data.csv" --part-size 4M
AFTER=$(puts_ok "$ID")
SENT=$((AFTER - BEFORE))
grep -q -E "^uploaded $ID: $PARTS parts \\($SENT sent, $BEFORE already there\\)" "$T/up2.out" ||
    soft_fail "the resumed upload says '$(cat "$T/up2.out")'; expected $SENT sent, $BEFORE already there"
[ "$SENT" -eq $((PARTS - BEFORE)) ] ||
    soft_fail "the resumed upload sent $SENT parts; $((PARTS - BEFORE)) were missing"
grep -q -E "^parts 1-$BEFORE/$PARTS: already there, skipped$" "$T/up2.err" ||
    soft_fail "the resumed upload does not report the skipped parts: $(head -n 2 "$T/up2.err")"

# A third run sends nothing.
cli_ok up3 upload "$ID" "$T/data.csv" --part-size 4M
[ "$(puts_ok "$ID")" -eq "$AFTER" ] || soft_fail "a complete upload was sent again"
grep -q "(0 sent, $PARTS already there)" "$T/up3.out" || soft_fail "up3: $(cat "$T/up3.out")"

# --- publish ----------------------------------------------------------------
cli_ok publish publish "$ID"
grep -q -E "^published $ID: $ROWS rows, [0-9]+ chunks" "$T/publish.out" ||
    soft_fail "publish says '$(cat "$T/publish.out")'; expected $ROWS rows"
cli_bad publish-again '409.*already published' publish "$ID"
cli_bad upload-published 'is published: its content can no longer change' upload "$ID" "$T/data.csv" --part-size 4M

# --- ls and show ------------------------------------------------------------
cli_ok ls ls
grep -q "^$ID  Owner test set" "$T/ls.out" || soft_fail "ls does not list the data-set: $(cat "$T/ls.out")"
cli_ok ls-q ls --q "Owner" --tag cli-test --sort name --limit 1 --all
grep -q "^$ID" "$T/ls-q.out" || soft_fail "ls --q --tag does not find it"
cli_ok ls-none ls --tag no-such-tag
[ "$(wc -l <"$T/ls-none.out")" -eq 0 ] || soft_fail "ls --tag no-such-tag lists something"
# Published: anyone may read it, signed or not (no key here).
(unset SLUICE_KEY; HOME=$T/home cli_ok show show "$ID") || fail "show without a key failed"
for re in "^state +published$" "^rows +$ROWS$" "^owner +$ADDR$" "^tags +cli-test, owner$" \
          "^columns +id \\(number\\), name \\(text\\)" "^content root +0x[0-9a-f]{64}$" \
          "^preview \\(5 rows\\):$" "^listed +yes$"; do
    grep -q -E "$re" "$T/show.out" || soft_fail "show lacks /$re/"
done

# --- price and delete ---------------------------------------------------------
cli_ok price price "$ID" --price-pass price=1000,duration=30d
grep -q '^price pass: 1000 gwei for 30 days$' "$T/price.out" || soft_fail "price: $(cat "$T/price.out")"
cli_bad price-bad 'price-metered.*charges nothing' price "$ID" --price-metered per_query=0

# --- misuse -------------------------------------------------------------------
cli_ok create2 dataset create --name "Second draft" --format jsonl
ID2=$(cat "$T/create2.out")
printf '{"a":1}\n' >"$T/small.jsonl"
cli_ok other-key key new --key "$T/keys/other.key"
cli_bad other-upload 'answered 404 .*no such data-set' --key "$T/keys/other.key" upload "$ID2" "$T/small.jsonl"
[ "$RC" -eq 1 ] || soft_fail "another key's upload exited $RC, not 1"
cli_bad other-show 'answered 404' show "$ID2" --key "$T/keys/other.key"
cli_bad other-price 'answered 403' price "$ID" --key "$T/keys/other.key" --price-metered per_row=1
cli_bad publish-no-price '409.*price plan.*field: price' publish "$ID2"
cli_bad refused 'cannot connect to the gateway at 127\.0\.0\.1:1' --gateway http://127.0.0.1:1 upload "$ID2" "$T/small.jsonl"
cli_bad https 'https:// gateways are not supported yet' --gateway https://127.0.0.1:$PORT ls
[ "$RC" -eq 2 ] || soft_fail "a bad URL exited $RC, not 2"
cli_bad no-scheme 'must start with http://' ls --gateway "127.0.0.1:$PORT"
cli_bad missing-key 'no key file at .*/nokey.*sluice key new' --key "$T/keys/nokey" upload "$ID2" "$T/small.jsonl"
cp "$SLUICE_KEY" "$T/keys/open.key"
chmod 644 "$T/keys/open.key"
cli_bad open-key 'mode 644.*chmod 600' upload "$ID2" "$T/small.jsonl" --key "$T/keys/open.key"
cli_bad bad-id "'0x12' is not a data-set id" upload 0x12 "$T/small.jsonl"
cli_bad no-file 'cannot open' upload "$ID2" "$T/none.csv"
cli_bad unknown-cmd "unknown command 'frob'" frob
cli_bad unknown-opt 'unknown option --frob' ls --frob
# The owner's own upload of the same draft works, and a draft is shown.
cli_ok own-upload upload "$ID2" "$T/small.jsonl"
cli_ok own-show show "$ID2"
grep -q -E '^state +uploading$' "$T/own-show.out" || soft_fail "the owner does not see the draft uploading"

cli_ok delete delete "$ID"
cli_ok ls-after ls
if grep -q "^$ID" "$T/ls-after.out"; then soft_fail "an unlisted data-set is still listed"; fi
cli_ok show-after show "$ID"
grep -q -E '^listed +no$' "$T/show-after.out" || soft_fail "show does not say unlisted"

# --- stop, export, compare ------------------------------------------------------
gateway_alive
kill -TERM "$SERVE_PID"
reap "$SERVE_PID" serve
SERVE_PID=
[ "$RC" -eq 0 ] || soft_fail "sluiced exited $RC on SIGTERM"
sl_ok export export --data-dir "$DATA" "$ID" -o "$T/back.csv"
cmp -s "$T/data.csv" "$T/back.csv" || soft_fail "the exported data-set differs from the uploaded file"
finish
