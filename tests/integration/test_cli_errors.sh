#!/usr/bin/env bash
# Misuse of the operator commands: every bad invocation exits non-zero with
# one line on stderr that names the problem, creates nothing, and crashes
# nothing. Malformed input files fail the ingest with a message naming the
# row, and leave the data dir sound: fsck clean, the data-set "failed" with
# that reason, no chunk rows or objects left for it.
source "$(dirname "$0")/lib.sh"

D=$T/data
NONE=$T/no-such-dir
printf 'id,name,v\n1,a,2\n2,b,3\n' >"$T/good.csv"
sl_ok good ingest --data-dir "$D" --format csv "$T/good.csv"
GOOD=$(ingest_id good)
HEX64=$(printf 'ab%.0s' {1..32})

datasets_count() { sql "$D" "SELECT count(*) FROM datasets"; }

# bad NAME REGEX ARGS...: sluiced ARGS exits non-zero (not by a signal),
# with exactly one line on stderr matching REGEX; no data-set is created
# in $D and $NONE is not created.
bad() {
    local name=$1 re=$2 before
    shift 2
    before=$(datasets_count)
    sl "bad-$name" "$@"
    if [ "$RC" -eq 0 ] || [ "$RC" -ge 128 ]; then
        cat "$T/bad-$name.err" >&2
        soft_fail "$name: sluiced $* exited $RC"
        return
    fi
    one_line_matching "$T/bad-$name.err" "$re" "$name (sluiced $*)"
    [ "$(datasets_count)" = "$before" ] || soft_fail "$name: a data-set record was created"
    [ ! -e "$NONE" ] || { soft_fail "$name: $NONE was created"; rm -rf "$NONE"; }
}

# --- usage ----------------------------------------------------------------
# No command at all: the help text on stderr, non-zero.
sl no-command
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || soft_fail "sluiced with no command exited $RC"
grep -q "usage" "$T/no-command.err" || soft_fail "sluiced with no command prints no usage"
bad unknown-cmd     "^sluiced: .*unknown command.*frobnicate" frobnicate --data-dir "$D"

bad no-data-dir     "^sluiced ingest: .*(missing|required|needs|give|no) .*--data-dir|--data-dir (is )?(missing|required)" \
    ingest --format csv "$T/good.csv"
bad no-format       "^sluiced ingest: .*(missing|required|needs|give|no) .*--format|--format (is )?(missing|required)" \
    ingest --data-dir "$NONE" "$T/good.csv"
bad no-file         "^sluiced ingest: .*(missing|required|needs|give|no) .*FILE|FILE (is )?(missing|required)" \
    ingest --data-dir "$NONE" --format csv
bad two-files       "^sluiced ingest: .*(one FILE|extra|too many|unexpected)" \
    ingest --data-dir "$NONE" --format csv "$T/good.csv" "$T/good.csv"
bad format-xml      "^sluiced ingest: .*--format.*(csv|one of)" \
    ingest --data-dir "$NONE" --format xml "$T/good.csv"
bad format-empty    "^sluiced ingest: .*--format.*(csv|one of)" \
    ingest --data-dir "$NONE" --format "" "$T/good.csv"
bad format-case     "^sluiced ingest: .*--format.*(csv|one of)" \
    ingest --data-dir "$NONE" --format CSV "$T/good.csv"
bad chunk-size-0    "^sluiced ingest: .*--chunk-size.*between" \
    ingest --data-dir "$NONE" --format csv --chunk-size 0 "$T/good.csv"
bad chunk-size-abc  "^sluiced ingest: .*--chunk-size.*number" \
    ingest --data-dir "$NONE" --format csv --chunk-size abc "$T/good.csv"
bad chunk-size-neg  "^sluiced ingest: .*--chunk-size" \
    ingest --data-dir "$NONE" --format csv --chunk-size -5 "$T/good.csv"
bad chunk-size-sfx  "^sluiced ingest: .*--chunk-size.*suffix" \
    ingest --data-dir "$NONE" --format csv --chunk-size 10X "$T/good.csv"
bad chunk-size-huge "^sluiced ingest: .*--chunk-size.*(large|between)" \
    ingest --data-dir "$NONE" --format csv --chunk-size 99999999999999999999999 "$T/good.csv"
bad chunk-size-1G   "^sluiced ingest: .*--chunk-size.*between" \
    ingest --data-dir "$NONE" --format csv --chunk-size 1G "$T/good.csv"
bad chunk-size-emp  "^sluiced ingest: .*--chunk-size" \
    ingest --data-dir "$NONE" --format csv --chunk-size "" "$T/good.csv"
bad chunk-rows-0    "^sluiced ingest: .*--chunk-rows.*between" \
    ingest --data-dir "$NONE" --format csv --chunk-rows 0 "$T/good.csv"
bad both-chunkings  "^sluiced ingest: .*--chunk-size.*--chunk-rows|--chunk-rows.*--chunk-size" \
    ingest --data-dir "$NONE" --format csv --chunk-size 64 --chunk-rows 3 "$T/good.csv"
bad level-10        "^sluiced ingest: .*--level.*between" \
    ingest --data-dir "$NONE" --format csv --level 10 "$T/good.csv"
bad threads-0       "^sluiced ingest: .*--threads.*between" \
    ingest --data-dir "$NONE" --format csv --threads 0 "$T/good.csv"
bad threads-65      "^sluiced ingest: .*--threads.*between" \
    ingest --data-dir "$NONE" --format csv --threads 65 "$T/good.csv"
bad unknown-option  "^sluiced ingest: .*--bogus" \
    ingest --data-dir "$NONE" --format csv --bogus "$T/good.csv"
bad option-no-value "^sluiced ingest: .*--chunk-size" \
    ingest --data-dir "$NONE" --format csv "$T/good.csv" --chunk-size
bad missing-file    "^sluiced ingest: .*cannot open .*nope\.csv" \
    ingest --data-dir "$NONE" --format csv "$T/nope.csv"
bad blob-rows       "^sluiced ingest: .*(blob|chunk-rows)" \
    ingest --data-dir "$D" --format blob --chunk-rows 3 "$T/good.csv"

bad export-no-dir   "^sluiced export: .*(missing|required|needs|give|no) .*--data-dir|--data-dir (is )?(missing|required)" \
    export "$GOOD"
bad export-no-id    "^sluiced export: .*(missing|required|needs|give|no) .*ID|ID (is )?(missing|required)" \
    export --data-dir "$D"
bad export-two-ids  "^sluiced export: .*(one ID|extra|too many|unexpected)" \
    export --data-dir "$D" "$GOOD" "$GOOD"
# A malformed id is refused before the data dir is touched, saying what
# is wrong with the ID.
ID_RE="\\b(ID|id)\\b"
bad id-no-0x        "^sluiced export: .*$ID_RE" export --data-dir "$NONE" "${HEX64}"
bad id-short        "^sluiced export: .*$ID_RE" export --data-dir "$NONE" 0x1234
bad id-long         "^sluiced export: .*$ID_RE" export --data-dir "$NONE" "0x${HEX64}00"
bad id-63           "^sluiced export: .*$ID_RE" export --data-dir "$NONE" "0x${HEX64:1}"
bad id-nonhex       "^sluiced export: .*$ID_RE" export --data-dir "$NONE" "0x${HEX64:2}zz"
bad id-empty        "^sluiced export: .*$ID_RE" export --data-dir "$NONE" ""
bad id-0x-only      "^sluiced export: .*$ID_RE" export --data-dir "$NONE" 0x
bad id-space        "^sluiced export: .*$ID_RE" export --data-dir "$NONE" " 0x${HEX64}"
bad unknown-id      "^sluiced export: .*(no such|unknown|not found)" export --data-dir "$D" "0x${HEX64}"
bad id-0X           "^sluiced export: .*$ID_RE" export --data-dir "$NONE" "0X${HEX64}"
bad unknown-id-uc   "^sluiced export: .*(no such|unknown|not found)" export --data-dir "$D" "0x${HEX64^^}"
bad export-o-nodir  "^sluiced export: .*cannot create .*out\.csv" \
    export --data-dir "$D" "$GOOD" -o "$T/no/such/out.csv"

bad fsck-no-dir     "^sluiced fsck: .*(missing|required|needs|give|no) .*--data-dir|--data-dir (is )?(missing|required)" fsck
bad fsck-extra      "^sluiced fsck: .*(extra|unexpected|too many)" fsck --data-dir "$D" extra
bad fsck-file       "^sluiced fsck: .*(not a folder|not a directory|not a sluice data dir)" fsck --data-dir "$T/good.csv"

# The same id in either digit case names the same data-set.
sl_ok upper export --data-dir "$D" "0x${GOOD#0x}"
sl_ok upper2 export --data-dir "$D" "0x$(tr a-f A-F <<<"${GOOD#0x}")"
cmp -s "$T/good.csv" "$T/upper2.out" || soft_fail "export by an upper-case id differs"
fsck_clean "$D" fsck-after-usage

# --- malformed inputs -----------------------------------------------------
python3 - "$T" <<'EOF' || fail "generating the malformed inputs failed"
import os, sys
t = sys.argv[1]
rows = [b"%d,n%d,%d\n" % (i, i, i) for i in range(300)]
h = b"id,name,v\n"
def w(n, data):
    open(os.path.join(t, n), "wb").write(data)
w("unterm_end.csv", h + b"".join(rows) + b'300,"open,1\n301,x,2\n')
w("unterm_mid.csv", h + b"".join(rows[:5]) + b'5,"abc,6\n' + b"".join(rows[6:]))
w("after_quote.csv", h + b"".join(rows[:7]) + b'7,"ab"c,1\n' + b"".join(rows[8:]))
w("more_fields.csv", h + b"".join(rows[:150]) + b"150,a,b,c\n" + b"".join(rows[151:]))
w("fewer_fields.csv", h + b"".join(rows[:200]) + b"200,a\n" + b"".join(rows[201:]))
w("last_row_short.csv", h + b"".join(rows) + b"300")
w("header_dup.csv", b"a,b,a\n1,2,3\n")
w("header_unterm.csv", b'a,"b\n1,2\n')
objs = [b'{"i":%d,"s":"v%d"}\n' % (i, i) for i in range(300)]
w("array.jsonl", b"".join(objs[:120]) + b"[1,2,3]\n" + b"".join(objs[121:]))
w("number.jsonl", b"".join(objs[:3]) + b"42\n" + b"".join(objs[4:]))
w("string.jsonl", b"".join(objs[:299]) + b'"just a string"\n')
w("invalid.jsonl", b"".join(objs[:77]) + b'{"a":1,\n' + b"".join(objs[78:]))
w("unclosed.jsonl", b"".join(objs[:290]) + b'{"a":[1,2')
w("trailing.jsonl", b"".join(objs[:30]) + b'{"a":1} x\n' + b"".join(objs[31:]))
w("dup_key.jsonl", b"".join(objs[:10]) + b'{"a":1,"a":2}\n' + b"".join(objs[11:]))
w("bad_utf8.jsonl", b"".join(objs[:250]) + b'{"a":"\xff\xfe"}\n' + b"".join(objs[251:]))
EOF

# malformed FILE FORMAT ROW [THREADS]: the ingest fails naming row ROW
# (or "header"), the newest data-set is "failed" with that reason, and
# nothing of it is left; the dir stays sound.
malformed() {
    local file=$1 fmt=$2 row=$3 threads=${4:-2} name want line state reason n
    name=$(basename "$file")
    [ "$row" = header ] && want="header" || want="row $row\\b"
    sl "mal-$name-$threads" ingest --data-dir "$D" --format "$fmt" --chunk-size 64 --threads "$threads" "$T/$file"
    if [ "$RC" -eq 0 ] || [ "$RC" -ge 128 ]; then
        soft_fail "malformed $name: ingest exited $RC"
        return
    fi
    # Progress lines may come first; the error is one line of its own.
    grep -E '^sluiced ingest: ' "$T/mal-$name-$threads.err" >"$T/mal.line" || true
    one_line_matching "$T/mal.line" "^sluiced ingest: $want" "malformed $name (threads $threads)"
    line=$(cat "$T/mal.line")
    IFS='|' read -r state reason < <(sql "$D" "SELECT state, reason FROM datasets ORDER BY rowid DESC LIMIT 1")
    [ "$state" = failed ] || soft_fail "malformed $name: the data-set is '$state', not 'failed'"
    [ "sluiced ingest: $reason" = "$line" ] ||
        soft_fail "malformed $name: the recorded reason '$reason' is not the message '$line'"
    n=$(sql "$D" "SELECT count(*) FROM chunks c JOIN datasets d ON d.id = c.dataset_id WHERE d.state = 'failed'")
    [ "$n" = 0 ] || soft_fail "malformed $name: $n chunk rows of failed data-sets remain"
    n=$(sql "$D" "SELECT count(*) FROM chunk_index i JOIN datasets d ON d.id = i.dataset_id WHERE d.state = 'failed'")
    [ "$n" = 0 ] || soft_fail "malformed $name: $n chunk index rows of failed data-sets remain"
    objects_on_disk "$D" >"$T/disk.txt"
    objects_published "$D" >"$T/pub.txt"
    cmp -s "$T/disk.txt" "$T/pub.txt" ||
        soft_fail "malformed $name: objects left on disk: $(diff "$T/pub.txt" "$T/disk.txt" | head -n 5 | tr '\n' ' ')"
    [ -z "$(find "$D/objects/tmp" -type f)" ] || soft_fail "malformed $name: files left in objects/tmp"
}

failed_before=$(sql "$D" "SELECT count(*) FROM datasets WHERE state = 'failed'")
for threads in 1 2; do
    malformed unterm_end.csv csv 300 "$threads"
    malformed unterm_mid.csv csv 5 "$threads"
    malformed after_quote.csv csv 7 "$threads"
    malformed more_fields.csv csv 150 "$threads"
    malformed fewer_fields.csv csv 200 "$threads"
    malformed last_row_short.csv csv 300 "$threads"
    malformed array.jsonl jsonl 120 "$threads"
    malformed number.jsonl jsonl 3 "$threads"
    malformed string.jsonl jsonl 299 "$threads"
    malformed invalid.jsonl jsonl 77 "$threads"
    malformed unclosed.jsonl jsonl 290 "$threads"
    malformed trailing.jsonl jsonl 30 "$threads"
    malformed dup_key.jsonl jsonl 10 "$threads"
    malformed bad_utf8.jsonl jsonl 250 "$threads"
done
malformed header_dup.csv csv header
malformed header_unterm.csv csv header
failed_now=$(sql "$D" "SELECT count(*) FROM datasets WHERE state = 'failed'")
[ $((failed_now - failed_before)) -eq 30 ] ||
    soft_fail "$((failed_now - failed_before)) data-sets failed, expected 30"

# A FILE that cannot be read (a directory) fails cleanly too.
sl dir-input ingest --data-dir "$D" --format csv "$T"
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || soft_fail "ingest of a directory exited $RC"
grep -E '^sluiced ingest: ' "$T/dir-input.err" >"$T/dir.line" || true
one_line_matching "$T/dir.line" "^sluiced ingest: .*(directory|read)" "ingest of a directory"

# A failed data-set is not exportable, and says so.
FAILED=0x$(sql "$D" "SELECT lower(hex(id)) FROM datasets WHERE state = 'failed' LIMIT 1")
bad export-failed   "^sluiced export: .*not published" export --data-dir "$D" "$FAILED"

# After all that: sound, and the good data-set is intact.
fsck_clean "$D" fsck-final
sl_ok good-exp export --data-dir "$D" "$GOOD" -o "$T/good.out"
cmp -s "$T/good.csv" "$T/good.out" || soft_fail "the good data-set no longer round-trips"
sl_ok good2 ingest --data-dir "$D" --format csv --chunk-size 64 "$T/good.csv"
finish
