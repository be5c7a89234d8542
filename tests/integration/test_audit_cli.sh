#!/usr/bin/env bash
# sluiced audit verify and sluiced audit export (DESIGN.md 3.10) on a data
# dir whose audit log holds real entries, made by the gateway's own calls
# (tests/tools/mk_audit_log: a credited payment, then releases), with the
# gateway stopped:
#   - verify on the intact log: exit 0, one line naming the count and the
#     head (its index and hash, as stored);
#   - export: one JSON object per entry, its fields agreeing with its text
#     (integers for index, time and chunks; decimal strings for amounts);
#     the same bytes to a file (-o) as to standard output;
#   - the store tampered with through the sqlite3 CLI, one change per copy
#     of the data dir: a byte of a text flipped, a hash changed, a middle
#     entry deleted, two entries' indexes swapped, the first entry deleted,
#     an entry rewritten with its hash made again, the head's stored time
#     changed: verify exits 1 naming the right entry each time, and export
#     exits 1 and makes no file;
#   - what verify cannot see, shown so that the docs stay honest: the last
#     entry deleted;
#   - the lock: while another process holds the data dir (as a running
#     gateway does), verify refuses; bad usage exits 2.
source "$(dirname "$0")/lib.sh"

B=${SLUICE_BUILD:?set SLUICE_BUILD to the build folder}
MK=$B/tests/tools/mk_audit_log
[ -x "$MK" ] || fail "$MK is missing; build it with: make BUILD=$B $MK"

D=$T/data
"$MK" "$D" 6 >"$T/made.out" 2>"$T/made.err" || { cat "$T/made.err" >&2; fail "mk_audit_log exited $?"; }
check_sanitizer "$T/made.err" mk_audit_log
[ "$(wc -l <"$T/made.out")" -eq 6 ] || fail "mk_audit_log made $(wc -l <"$T/made.out") entries, not 6"
head_hash=$(sed -n '6s/^6 //p' "$T/made.out")
[ "$(sql "$D" "SELECT lower(hex(hash)) FROM audit_log WHERE idx = 6")" = "${head_hash#0x}" ] ||
    fail "the stored hash of entry 6 is not the one ledger_release gave"

# ---- the intact log ---------------------------------------------------------

sl_ok verify audit verify --data-dir "$D"
want="audit log ok: 6 entries, head 6 $head_hash"
[ "$(cat "$T/verify.out")" = "$want" ] ||
    soft_fail "verify printed '$(cat "$T/verify.out")', want '$want'"

sl_ok export-stdout audit export --data-dir "$D"
sl_ok export-file audit export --data-dir "$D" -o "$T/log.jsonl"
[ ! -s "$T/export-file.out" ] || soft_fail "export -o wrote on standard output"
cmp -s "$T/export-stdout.out" "$T/log.jsonl" ||
    soft_fail "export -o FILE and export to standard output differ"
[ ! -e "$T/log.jsonl.part" ] || soft_fail "export left its .part file"
[ "$(stat -c %a "$T/log.jsonl")" = 600 ] || soft_fail "the export is not mode 0600"
grep -q '^audit export: 6 entries$' "$T/export-file.err" ||
    soft_fail "export did not say how many entries it wrote: $(cat "$T/export-file.err")"

python3 - "$T/log.jsonl" "$head_hash" <<'PY' || soft_fail "the export does not agree with the entries (above)"
import hashlib, json, re, sys

path, head = sys.argv[1], sys.argv[2]
DEC = re.compile(r"0|[1-9][0-9]*")
KEYS = ["index", "hash", "text", "prev", "time", "gateway", "dataset",
        "worker", "query", "chunks", "cost", "balance_after",
        "credited_total", "spent_total"]
bad = []
prev = "0x" + "00" * 32
lines = open(path, encoding="utf-8").read().split("\n")
if lines[-1] != "":
    bad.append("the file does not end with a newline")
lines = lines[:-1]
if len(lines) != 6:
    bad.append("%d lines, not 6" % len(lines))
empty_seen = False
for n, line in enumerate(lines, 1):
    e = json.loads(line)
    where = "line %d" % n
    if list(e) != KEYS:
        bad.append("%s: keys %s" % (where, list(e)))
        continue
    if type(e["index"]) is not int or e["index"] != n:
        bad.append("%s: index %r" % (where, e["index"]))
    if e["hash"] != "0x" + hashlib.sha256(e["text"].encode()).hexdigest():
        bad.append("%s: hash is not SHA-256 of text" % where)
    if e["prev"] != prev:
        bad.append("%s: prev is not the previous hash" % where)
    prev = e["hash"]
    fields = dict(l.split(": ", 1) for l in e["text"].split("\n")[1:])
    if e["text"].split("\n")[0] != "sluice-release-v1":
        bad.append("%s: the text's first line" % where)
    if type(e["time"]) is not int or str(e["time"]) != fields["time"]:
        bad.append("%s: time" % where)
    for k in ("gateway", "dataset", "worker", "query", "prev"):
        if e[k] != fields[k]:
            bad.append("%s: %s is not the text's" % (where, k))
    if fields["index"] != str(n):
        bad.append("%s: the text's index" % where)
    if not all(type(c) is int for c in e["chunks"]) or \
            ",".join(map(str, e["chunks"])) != fields["chunks"]:
        bad.append("%s: chunks %r" % (where, e["chunks"]))
    empty_seen = empty_seen or e["chunks"] == []
    for k in ("cost", "balance_after", "credited_total", "spent_total"):
        if not isinstance(e[k], str) or not DEC.fullmatch(e[k]) or \
                e[k] != fields[k]:
            bad.append("%s: %s %r" % (where, k, e[k]))
    if int(e["balance_after"]) != int(e["credited_total"]) - int(e["spent_total"]):
        bad.append("%s: the amounts do not add up" % where)
if prev != head:
    bad.append("the last hash is not the head verify named")
if not empty_seen:
    bad.append("no entry with an empty chunks list")
for b in bad:
    print("export: " + b)
sys.exit(1 if bad else 0)
PY

# ---- the store tampered with ------------------------------------------------

# tamper NAME ENTRY WHAT SQL: copy the data dir, run SQL on the copy, then
# verify must exit 1 with one line "audit log broken: entry ENTRY: ..."
# holding WHAT, and export must exit 1 and make no file.
tamper() {
    local name=$1 entry=$2 what=$3 q=$4 c=$T/$1
    cp -a "$D" "$c"
    sql "$c" "$q" || { soft_fail "$name: the sqlite3 CLI refused: $q"; return; }
    sl "$name-verify" audit verify --data-dir "$c"
    [ "$RC" -eq 1 ] || soft_fail "$name: verify exited $RC, not 1: $(cat "$T/$name-verify.out" "$T/$name-verify.err")"
    local out
    out=$(cat "$T/$name-verify.out")
    case $out in
    "audit log broken: entry $entry: "*"$what"*) note "$name: $out" ;;
    *) soft_fail "$name: verify printed '$out', want entry $entry: ...$what..." ;;
    esac
    [ "$(wc -l <"$T/$name-verify.out")" -eq 1 ] || soft_fail "$name: verify printed more than one line"
    sl "$name-export" audit export --data-dir "$c" -o "$T/$name.jsonl"
    [ "$RC" -eq 1 ] || soft_fail "$name: export exited $RC, not 1"
    grep -q "entry $entry: " "$T/$name-export.err" || soft_fail "$name: export did not name entry $entry: $(cat "$T/$name-export.err")"
    [ ! -e "$T/$name.jsonl" ] && [ ! -e "$T/$name.jsonl.part" ] || soft_fail "$name: a failed export left a file"
}

# A byte of entry 3's text: the "t" of "cost" made "T" (bit 0x20).
tamper flip-text 3 "its hash is not the SHA-256 of its text" \
    "UPDATE audit_log SET text = replace(text, 'cost: ', 'cosT: ') WHERE idx = 3"
# A byte of entry 2's stored hash: its last digit's low bit flipped.
h2=$(sql "$D" "SELECT lower(hex(hash)) FROM audit_log WHERE idx = 2")
h2=${h2:0:63}$(printf '%x' $((0x${h2:63:1} ^ 1)))
tamper change-hash 2 "its hash is not the SHA-256 of its text" \
    "UPDATE audit_log SET hash = x'$h2' WHERE idx = 2"
tamper delete-middle 4 "missing (the log goes from entry 3 to entry 5)" \
    "DELETE FROM audit_log WHERE idx = 4"
tamper delete-first 1 "missing (the log starts at entry 2)" \
    "DELETE FROM audit_log WHERE idx = 1"
# Entries 2 and 5 trade indexes (through a free one: idx is the key).
tamper swap 2 "its text says it is entry 5" \
    "UPDATE audit_log SET idx = 1000 WHERE idx = 2; UPDATE audit_log SET idx = 2 WHERE idx = 5; UPDATE audit_log SET idx = 5 WHERE idx = 1000"
# What GET /v1/audit/head signs comes from the stored time column.
tamper head-time 6 "the time stored for the head" \
    "UPDATE audit_log SET time = time + 1 WHERE idx = 6"

# Entry 3 rewritten (one more second) with its hash made again, as someone
# who knows the format would: entry 4 no longer links to it.
text3=$(sql "$D" "SELECT text FROM audit_log WHERE idx = 3")
new3=${text3/time: 1700000180/time: 1700000181}
[ "$new3" != "$text3" ] || fail "entry 3's time is not 1700000180: $text3"
h3=$(printf '%s' "$new3" | sha256sum | cut -c1-64)
tamper rehash 4 "its prev is not the hash of entry 3" \
    "UPDATE audit_log SET text = '$new3', hash = x'$h3' WHERE idx = 3"

# What verify cannot see on its own (docs/API.md says so): the last entry
# deleted leaves a log that checks, one entry shorter. The receipt of entry
# 6 that its worker holds is the proof that it existed.
cp -a "$D" "$T/delete-last"
sql "$T/delete-last" "DELETE FROM audit_log WHERE idx = 6"
sl delete-last audit verify --data-dir "$T/delete-last"
[ "$RC" -eq 0 ] && grep -q '^audit log ok: 5 entries, head 5 ' "$T/delete-last.out" ||
    soft_fail "the last entry deleted: verify said '$(cat "$T/delete-last.out")' (exit $RC); if it now sees it, update docs/API.md"

# ---- an empty log, the lock, bad usage --------------------------------------

"$MK" "$T/empty" 0 >/dev/null 2>"$T/empty.err" || fail "mk_audit_log 0 failed: $(cat "$T/empty.err")"
sl_ok empty-verify audit verify --data-dir "$T/empty"
[ "$(cat "$T/empty-verify.out")" = "audit log ok: 0 entries, head 0 0x$(printf '0%.0s' $(seq 64))" ] ||
    soft_fail "an empty log: verify printed '$(cat "$T/empty-verify.out")'"
sl_ok empty-export audit export --data-dir "$T/empty"
[ ! -s "$T/empty-export.out" ] || soft_fail "an empty log exported lines"

# flock holds the data dir's lock, as a running gateway does, while sluiced
# runs under it.
RC=0
flock "$D/sluiced.lock" "$SLUICED" audit verify --data-dir "$D" >"$T/locked.out" 2>"$T/locked.err" || RC=$?
check_sanitizer "$T/locked.err" "audit verify (locked)"
[ "$RC" -eq 1 ] && grep -q '^sluiced audit: .*in use by another sluiced process' "$T/locked.err" ||
    soft_fail "verify on a locked data dir: exit $RC, '$(cat "$T/locked.out" "$T/locked.err")'"
[ ! -s "$T/locked.out" ] || soft_fail "verify on a locked data dir printed a verdict"

usage() { # NAME REGEX ARGS...: exit 2, one line on stderr matching REGEX
    local name=$1 re=$2
    shift 2
    sl "$name" "$@"
    [ "$RC" -eq 2 ] || soft_fail "$name: sluiced $* exited $RC, not 2"
    grep -q -E "$re" "$T/$name.err" || soft_fail "$name: sluiced $* said '$(cat "$T/$name.err")'"
}
usage no-sub '^sluiced audit: .*verify or .*export' audit
usage bad-sub "^sluiced audit: .*unknown audit command 'frob'" audit frob
usage verify-o '^sluiced audit: .*-o is for audit export' audit verify --data-dir "$D" -o "$T/x"
usage extra-arg "^sluiced audit: .*unexpected argument 'more'" audit verify --data-dir "$D" more
usage bad-opt '^sluiced audit: .*unknown option' audit export --data-dir "$D" --frob
sl no-dir audit verify --data-dir "$T/nowhere"
[ "$RC" -eq 1 ] && [ ! -e "$T/nowhere" ] || soft_fail "verify of a missing data dir: exit $RC, or it made the dir"

finish
