#!/usr/bin/env bash
# Crash safety of ingest: start an ingest of a 64 MiB CSV cut into 256 KiB
# chunks (256 objects), kill -9 it at moments spread from "just started" to
# "about to publish" (fractions of a measured whole ingest, jittered with a
# fixed seed), then run `sluiced fsck`, whose opening of the data dir is
# the restart's repair. After every round: fsck passes with 0 orphans,
# objects/tmp is empty, every object file on disk is named by a chunk of a
# published data-set, nothing is left of failed data-sets (chunk rows,
# index rows) or still "publishing", whatever looked published before
# still does with the same content root, and every newly published
# data-set exports byte for byte. Some rounds crash the repair too. At the
# end a fresh ingest into the same dir round-trips.
source "$(dirname "$0")/lib.sh"

D=$T/data
BIG=$T/big.csv
SMALL=$T/small.csv
python3 - "$BIG" "$SMALL" <<'EOF' || fail "generating the inputs failed"
import random, sys
rnd = random.Random(4242)
with open(sys.argv[1], "wb") as fh:
    fh.write(b"id,account,label,amount,memo\r\n")
    buf, size, i = [], 0, 0
    while size < 64 * 1048576:
        row = b"%d,%d,%s,%d.%02d,%s\r\n" % (
            i, rnd.randrange(10**9), b"w%d" % (i % 1009), i % 9973, i % 100,
            b'"a, ""quoted""\nmemo"' if i % 5000 == 0 else b"m%d" % (i % 31))
        buf.append(row); size += len(row); i += 1
        if len(buf) == 20000:
            fh.write(b"".join(buf)); buf = []
    fh.write(b"".join(buf))
with open(sys.argv[2], "wb") as fh:
    fh.write(b"k,v\n" + b"".join(b'%d,"v\n%d"\r\n' % (i, i * i) for i in range(100000)) + b"x,last")
EOF

INGEST_ARGS=(--format csv --chunk-size 256K)

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# --- calibration, in a dir of its own ------------------------------------------
# How long a whole ingest takes here, with two threads and with one.
declare -A DUR
for threads in 2 1; do
    rm -rf "$T/cal"
    t0=$(now_ms)
    sl_ok "cal$threads" ingest --data-dir "$T/cal" "${INGEST_ARGS[@]}" --threads "$threads" "$BIG"
    DUR[$threads]=$(($(now_ms) - t0))
done
CAL_ID=$(ingest_id cal1)
chunks=$(sql "$T/cal" "SELECT chunk_count FROM datasets WHERE id = $(id_sql "$CAL_ID")")
[ "$chunks" -ge 200 ] || fail "only $chunks chunks: the input is too small to crash in"
sl_ok cal-exp export --data-dir "$T/cal" "$CAL_ID" -o "$T/out.csv"
cmp -s "$BIG" "$T/out.csv" || fail "a whole ingest does not round-trip"
rm -rf "$T/cal" "$T/out.csv"
note "a whole ingest takes ${DUR[2]} ms with 2 threads, ${DUR[1]} ms with 1 ($chunks chunks)"

# --- the data dir: one published data-set that every repair must spare ------
sl_ok seed ingest --data-dir "$D" --format csv --chunk-size 64K "$SMALL"
SEED_ID=$(ingest_id seed)

# While an ingest runs, another process must not open (let alone "repair")
# the dir; this ingest is then cut off like the others.
spawn busy ingest --data-dir "$D" "${INGEST_ARGS[@]}" --threads 2 "$BIG"
busy_pid=$PID
sleep 0.2
sl locked fsck --data-dir "$D"
if kill -0 "$busy_pid" 2>/dev/null; then
    [ "$RC" -ne 0 ] || fail "fsck ran while an ingest held the data dir"
    one_line_matching "$T/locked.err" "^sluiced fsck: .*in use" "fsck on a dir in use" ||
        fail "fsck on a dir in use does not say so"
else
    note "the ingest ended before the lock could be tried"
fi
kill -9 "$busy_pid" 2>/dev/null
reap "$busy_pid" busy

declare -A ROOT  # published data-set id -> content root (hex)
remember_published() {
    local id root
    while IFS='|' read -r id root; do
        ROOT[0x${id,,}]=$root
    done < <(sql "$D" "SELECT hex(id), hex(content_root) FROM datasets WHERE state = 'published'")
}
remember_published

# The expected bytes of a published data-set: the seed or the big input.
expected_file() {
    if [ "$1" = "$SEED_ID" ]; then echo "$SMALL"; else echo "$BIG"; fi
}

check_dir() {
    local round=$1 id root bad n
    # 1. fsck: sound, no orphans left by the repair.
    sl "fsck-$round" fsck --data-dir "$D"
    if [ "$RC" -ne 0 ] || grep -q -E '^(damaged|missing|orphan)' "$T/fsck-$round.out"; then
        cat "$T/fsck-$round.out" "$T/fsck-$round.err" >&2
        fail "round $round: fsck after the crash exited $RC"
    fi
    grep -q -E ' 0 orphans$' "$T/fsck-$round.err" ||
        fail "round $round: fsck summary: $(cat "$T/fsck-$round.err")"
    # 2. no temporary object files.
    n=$(find "$D/objects/tmp" -type f 2>/dev/null | wc -l)
    [ "$n" -eq 0 ] || fail "round $round: $n file(s) left in objects/tmp"
    # 3. objects on disk == objects named by published data-sets.
    objects_on_disk "$D" >"$T/disk.txt"
    objects_published "$D" >"$T/pub.txt"
    if ! diff "$T/pub.txt" "$T/disk.txt" >"$T/objdiff.txt"; then
        head -n 20 "$T/objdiff.txt" >&2
        fail "round $round: objects on disk (>) differ from chunks of published data-sets (<)"
    fi
    # 4. nothing half-done in the catalogue.
    bad=$(sql "$D" "SELECT state, count(*) FROM datasets WHERE state NOT IN ('published', 'failed') GROUP BY state")
    [ -z "$bad" ] || fail "round $round: data-sets left in state(s): $bad"
    bad=$(sql "$D" "SELECT count(*) FROM chunks c JOIN datasets d ON d.id = c.dataset_id WHERE d.state != 'published'")
    [ "$bad" = 0 ] || fail "round $round: $bad chunk rows of unpublished data-sets remain"
    bad=$(sql "$D" "SELECT count(*) FROM chunk_index i JOIN datasets d ON d.id = i.dataset_id WHERE d.state != 'published'")
    [ "$bad" = 0 ] || fail "round $round: $bad chunk index rows of unpublished data-sets remain"
    bad=$(sql "$D" "SELECT coalesce(reason, 'NULL') FROM datasets WHERE state = 'failed' AND coalesce(reason, '') != 'interrupted'")
    [ -z "$bad" ] || fail "round $round: a cut-off ingest failed with reason '$bad', not 'interrupted'"
    bad=$(sql "$D" "SELECT count(*) FROM datasets d WHERE state = 'published' AND
                    chunk_count != (SELECT count(*) FROM chunks c WHERE c.dataset_id = d.id)")
    [ "$bad" = 0 ] || fail "round $round: a published data-set's chunk_count is wrong"
    # 5. what looked published still does, with the same content root.
    for id in "${!ROOT[@]}"; do
        root=$(sql "$D" "SELECT hex(content_root) FROM datasets WHERE id = $(id_sql "$id") AND state = 'published'")
        [ "$root" = "${ROOT[$id]}" ] || fail "round $round: published data-set $id changed"
    done
    # 6. newly published data-sets export exactly their input.
    while IFS= read -r id; do
        id=0x${id,,}
        [ -n "${ROOT[$id]+x}" ] && continue
        sl_ok "exp-$round" export --data-dir "$D" "$id" -o "$T/out.csv"
        cmp -s "$(expected_file "$id")" "$T/out.csv" ||
            fail "round $round: data-set $id looks published but its export differs"
        rm -f "$T/out.csv"
        note "round $round: data-set $id was published before the kill; it round-trips"
    done < <(sql "$D" "SELECT hex(id) FROM datasets WHERE state = 'published'")
    remember_published
}

check_dir busy

# --- the kill schedule ------------------------------------------------------
# Fractions of the measured duration (for the round's thread count), from
# "just started" to just past the end, each jittered from a fixed seed.
mapfile -t SCHEDULE < <(python3 - "${DUR[2]}" "${DUR[1]}" <<'EOF'
import random, sys
dur = {2: int(sys.argv[1]), 1: int(sys.argv[2])}
rnd = random.Random(31337)
fracs = [0.0, 0.01, 0.03, 0.08, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75,
         0.82, 0.88, 0.92, 0.95, 0.97, 0.99, 1.05]
for i, f in enumerate(fracs):
    threads = 1 if i % 3 == 2 else 2
    f = f * (1 + rnd.uniform(-0.04, 0.04))
    print("%d %.3f %d" % (i, max(0.001, dur[threads] * f / 1000.0), threads))
EOF
)

interrupted=0
for entry in "${SCHEDULE[@]}"; do
    read -r round delay threads <<<"$entry"
    sl_kill_after "$delay" "ing-$round" ingest --data-dir "$D" "${INGEST_ARGS[@]}" --threads "$threads" "$BIG"
    case $RC in
    0) what="finished first"; ingest_id "ing-$round" >/dev/null ;;
    137) what="killed"; interrupted=$((interrupted + 1)) ;;
    *) cat "$T/ing-$round.err" >&2; fail "round $round: ingest exited $RC before the kill" ;;
    esac
    objs=$(find "$D/objects" -type f | wc -l)
    tmps=$(find "$D/objects/tmp" -type f | wc -l)
    state=$(sql "$D" "SELECT state || ' ' || progress_done FROM datasets ORDER BY rowid DESC LIMIT 1")
    note "round $round: after ${delay}s (threads $threads): $what; $objs object files ($tmps tmp); newest data-set: $state"
    # Every few rounds, crash the repair as well before letting it finish.
    if [ $((round % 4)) -eq 1 ]; then
        sl_kill_after "0.00$((round % 9 + 1))" "rep-$round" fsck --data-dir "$D"
    fi
    check_dir "$round"
done
[ "$interrupted" -ge $((${#SCHEDULE[@]} / 2)) ] ||
    fail "only $interrupted of ${#SCHEDULE[@]} ingests were cut off: the schedule missed"

# --- afterwards: a fresh ingest in the same dir works ----------------------
sl_ok after ingest --data-dir "$D" --format csv --chunk-size 64K --threads 2 "$SMALL"
AFTER=$(ingest_id after)
sl_ok after-exp export --data-dir "$D" "$AFTER" -o "$T/small.out"
cmp -s "$SMALL" "$T/small.out" || fail "an ingest after the crashes does not round-trip"
sl_ok seed-exp export --data-dir "$D" "$SEED_ID" -o "$T/small.out"
cmp -s "$SMALL" "$T/small.out" || fail "the data-set published before the crashes no longer round-trips"
remember_published
check_dir final
note "$interrupted of ${#SCHEDULE[@]} ingests killed; $(sql "$D" "SELECT count(*) FROM datasets WHERE state = 'failed'") data-sets failed, $(sql "$D" "SELECT count(*) FROM datasets WHERE state = 'published'") published"
finish
