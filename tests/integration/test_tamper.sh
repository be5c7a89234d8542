#!/usr/bin/env bash
# Damage on disk is found and named: flip a bit in one object, truncate a
# second, delete a third, append a byte to a fourth, swap two more; fsck
# exits 1 naming exactly those objects (damaged / missing), export of a
# damaged data-set fails with a message naming the object, and untouched
# data-sets in the same dir still export byte for byte. A master key file
# that others can read, of the wrong size, or not a file is refused with a
# message naming the problem; a different key is caught as damage.
source "$(dirname "$0")/lib.sh"

D=$T/data
python3 - "$T" <<'EOF'
import random, sys
rnd = random.Random(99)
t = sys.argv[1]
with open(t + "/a.csv", "wb") as fh:
    fh.write(b"id,word,n\n")
    for i in range(400):
        fh.write(b"%d,%s,%d\n" % (i, bytes(rnd.choice(b"abcdefgh") for _ in range(12)), rnd.randrange(10**6)))
with open(t + "/b.jsonl", "wb") as fh:
    for i in range(300):
        fh.write(b'{"i":%d,"s":"%s"}\n' % (i, b"q" * rnd.randrange(30)))
with open(t + "/c.bin", "wb") as fh:
    fh.write(rnd.randbytes(20000))
EOF
[ $? -eq 0 ] || fail "generating inputs failed"

# ingest_as VAR FILE FORMAT OPTS...: ingest, keep the id in VAR.
ingest_as() {
    local var=$1 file=$2 fmt=$3
    shift 3
    sl_ok "ing-$var" ingest --data-dir "$D" --format "$fmt" "$@" "$file"
    printf -v "$var" '%s' "$(ingest_id "ing-$var")"
}

# The object ids of data-set $1's chunks, in index order.
chunk_objects() {
    sql "$D" "SELECT object_id FROM chunks WHERE dataset_id = $(id_sql "$1") ORDER BY idx"
}

objpath() { printf '%s/objects/%s/%s' "$D" "${1:0:2}" "$1"; }

# A: every kind of damage at once; K_*: one kind each; U_*: untouched.
ingest_as A "$T/a.csv" csv --chunk-size 256 --threads 2
ingest_as K_FLIP "$T/a.csv" csv --chunk-rows 20
ingest_as K_TRUNC "$T/b.jsonl" jsonl --chunk-size 512
ingest_as K_DEL "$T/c.bin" blob --chunk-size 1K
ingest_as K_APP "$T/a.csv" csv --chunk-size 1K --threads 1
ingest_as K_SWAP "$T/b.jsonl" jsonl --chunk-rows 7
ingest_as U_CSV "$T/a.csv" csv --chunk-size 256
ingest_as U_JSONL "$T/b.jsonl" jsonl --chunk-size 300
ingest_as U_BLOB "$T/c.bin" blob --chunk-size 1000
fsck_clean "$D" fsck-before

mapfile -t a_objs < <(chunk_objects "$A")
[ "${#a_objs[@]}" -ge 10 ] || fail "data-set A has only ${#a_objs[@]} chunks"
# Each data-set has its own key, so no object is shared between them.
dups=$(sql "$D" "SELECT object_id FROM chunks GROUP BY object_id HAVING count(*) > 1")
[ -z "$dups" ] || fail "objects shared between data-sets: $dups"

# tamper KIND OBJECT [OBJECT2]
tamper() {
    python3 - "$@" <<'EOF' || fail "tampering ($*) failed"
import os, random, sys
kind, path = sys.argv[1], sys.argv[2]
rnd = random.Random(path)
if kind == "flip":
    data = bytearray(open(path, "rb").read())
    pos = rnd.randrange(len(data))
    data[pos] ^= 1 << rnd.randrange(8)
    open(path, "wb").write(data)
elif kind == "trunc":
    size = os.path.getsize(path)
    os.truncate(path, size // 2)
elif kind == "delete":
    os.unlink(path)
elif kind == "append":
    open(path, "ab").write(b"\0")
elif kind == "swap":
    other = sys.argv[3]
    a, b = open(path, "rb").read(), open(other, "rb").read()
    open(path, "wb").write(b)
    open(other, "wb").write(a)
EOF
}

# Object files are written read-only by some stores; tampering needs write.
chmod -R u+w "$D/objects"

expected=$T/expected.txt
: >"$expected"
# A: damage spread over its chunks, first and last included.
n=${#a_objs[@]}
tamper flip "$(objpath "${a_objs[0]}")";        echo "damaged ${a_objs[0]}" >>"$expected"
tamper trunc "$(objpath "${a_objs[3]}")";       echo "damaged ${a_objs[3]}" >>"$expected"
tamper delete "$(objpath "${a_objs[5]}")";      echo "missing ${a_objs[5]}" >>"$expected"
tamper append "$(objpath "${a_objs[6]}")";      echo "damaged ${a_objs[6]}" >>"$expected"
tamper swap "$(objpath "${a_objs[8]}")" "$(objpath "${a_objs[n - 1]}")"
echo "damaged ${a_objs[8]}" >>"$expected"
echo "damaged ${a_objs[n - 1]}" >>"$expected"

# One kind per data-set, in a middle chunk, to check export's message.
declare -A bad_obj
for k in FLIP TRUNC DEL APP SWAP; do
    v=K_$k
    mapfile -t objs < <(chunk_objects "${!v}")
    [ "${#objs[@]}" -ge 4 ] || fail "data-set $v has only ${#objs[@]} chunks"
    o=${objs[2]}
    bad_obj[$k]=$o
    case $k in
    FLIP) tamper flip "$(objpath "$o")"; echo "damaged $o" >>"$expected" ;;
    TRUNC) tamper trunc "$(objpath "$o")"; echo "damaged $o" >>"$expected" ;;
    DEL) tamper delete "$(objpath "$o")"; echo "missing $o" >>"$expected" ;;
    APP) tamper append "$(objpath "$o")"; echo "damaged $o" >>"$expected" ;;
    SWAP)
        tamper swap "$(objpath "$o")" "$(objpath "${objs[3]}")"
        echo "damaged $o" >>"$expected"
        echo "damaged ${objs[3]}" >>"$expected" ;;
    esac
done
sort -o "$expected" "$expected"

# --- fsck ----------------------------------------------------------------
sl fsck fsck --data-dir "$D"
[ "$RC" -eq 1 ] || { cat "$T/fsck.out" "$T/fsck.err" >&2; fail "fsck of a damaged dir exited $RC, not 1"; }
grep -E '^(damaged|missing) ' "$T/fsck.out" | awk '{print $1, $2}' | sort >"$T/found.txt"
if ! diff -u "$expected" "$T/found.txt" >&2; then
    cat "$T/fsck.out" >&2
    fail "fsck did not name exactly the damaged and missing objects (diff above: - expected, + found)"
fi
# Every line of fsck's report is one of the known kinds, and names the
# data-set and chunk of the object.
while read -r kind obj rest; do
    case $kind in
    damaged | missing)
        [[ $rest =~ ^dataset\ 0x[0-9a-f]{64}\ chunk\ [0-9]+ ]] ||
            fail "fsck line without data-set and chunk: $kind $obj $rest" ;;
    *) fail "unexpected fsck line: $kind $obj $rest" ;;
    esac
done <"$T/fsck.out"
for u in "$U_CSV" "$U_JSONL" "$U_BLOB"; do
    ! grep -q "$u" "$T/fsck.out" || fail "fsck blames the untouched data-set $u"
done
grep -q -E "^fsck: 9 data-sets, [0-9]+ chunks: 10 damaged, 2 missing, 0 bad content roots, 0 parts not as recorded, 0 orphan part files, 0 orphans" "$T/fsck.err" ||
    fail "fsck summary is wrong: $(cat "$T/fsck.err")"
# fsck changes nothing: run it again, same answer.
sl fsck2 fsck --data-dir "$D"
[ "$RC" -eq 1 ] && cmp -s "$T/fsck.out" "$T/fsck2.out" || fail "a second fsck gave another answer"

# --- export --------------------------------------------------------------
# export_fails ID WHAT REGEX: export exits non-zero, one line on stderr
# matching REGEX, no crash.
export_fails() {
    local id=$1 what=$2 re=$3
    sl "exp-$what" export --data-dir "$D" "$id" -o "$T/out-$what"
    [ "$RC" -ne 0 ] || fail "export of $what ($id) succeeded"
    [ "$RC" -lt 128 ] || fail "export of $what died of a signal ($RC)"
    one_line_matching "$T/exp-$what.err" "^sluiced export: .*$re" "export of $what"
}
export_fails "$A" all "(damaged|missing|larger)"
export_fails "$K_FLIP" flip "${bad_obj[FLIP]}.*damaged"
export_fails "$K_TRUNC" trunc "${bad_obj[TRUNC]}.*damaged"
export_fails "$K_DEL" delete "${bad_obj[DEL]}.*missing"
export_fails "$K_APP" append "${bad_obj[APP]}.*(damaged|larger|more than)"
export_fails "$K_SWAP" swap "${bad_obj[SWAP]}.*(damaged|larger|more than)"
# To standard output too: non-zero and the message, whatever was written.
sl exp-stdout export --data-dir "$D" "$K_DEL"
[ "$RC" -ne 0 ] || fail "export of a data-set with a missing object to stdout succeeded"
one_line_matching "$T/exp-stdout.err" "^sluiced export: .*${bad_obj[DEL]}.*missing" "export to stdout"

for pair in "U_CSV a.csv" "U_JSONL b.jsonl" "U_BLOB c.bin"; do
    set -- $pair
    sl_ok "exp-$1" export --data-dir "$D" "${!1}" -o "$T/out-$1"
    cmp "$T/$2" "$T/out-$1" >/dev/null || fail "untouched data-set $1 does not export byte for byte"
done

# --- master key ------------------------------------------------------------
M=$T/mk
sl_ok mk-ing ingest --data-dir "$M" --format csv --chunk-size 512 "$T/a.csv"
MID=$(ingest_id mk-ing)
key=$M/master.key
[ "$(stat -c %a "$key")" = 600 ] || fail "a new master key has mode $(stat -c %a "$key"), not 600"
[ "$(stat -c %s "$key")" = 32 ] || fail "a new master key is not 32 bytes"
cp -p "$key" "$T/key.good"
dbsum=$(sha256sum <"$M/sluice.db")

# refused CASE REGEX: every command refuses the dir with one line naming
# the problem, and neither the key nor the catalogue changes.
refused() {
    local what=$1 re=$2 c
    for c in fsck export ingest; do
        case $c in
        fsck) sl "mk-$what-$c" fsck --data-dir "$M" ;;
        export) sl "mk-$what-$c" export --data-dir "$M" "$MID" -o "$T/mk-out" ;;
        ingest) sl "mk-$what-$c" ingest --data-dir "$M" --format csv "$T/a.csv" ;;
        esac
        [ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || soft_fail "$c with a master key that is $what exited $RC"
        one_line_matching "$T/mk-$what-$c.err" "^sluiced $c: .*$re" "$c with a master key that is $what"
    done
    [ "$(sha256sum <"$M/sluice.db")" = "$dbsum" ] || soft_fail "a refused start changed the catalogue ($what)"
}

restore_key() {
    rm -rf "$key"
    cp -p "$T/key.good" "$key"
    chmod 600 "$key"
}

chmod 644 "$key"
refused "mode 644" "master key.*(mode|permission).*644"
cmp -s "$key" "$T/key.good" || fail "a refused master key file was rewritten"
chmod 640 "$key"
refused "mode 640" "master key.*(mode|permission).*640"
chmod 604 "$key"
refused "mode 604" "master key.*(mode|permission).*604"
restore_key

head -c 31 "$T/key.good" >"$key"
refused "31 bytes" "master key.*32 bytes"
{ cat "$T/key.good"; printf x; } >"$key"
refused "33 bytes" "master key.*32 bytes"
: >"$key"
refused "empty" "master key.*32 bytes"
[ "$(stat -c %s "$key")" = 0 ] || fail "an empty master key file was replaced"
restore_key

rm "$key"
mkdir "$key"
refused "a directory" "master key.*(regular file|directory)"
rmdir "$key"
ln -s "$T/key.good" "$key"
refused "a symlink" "master key"
rm "$key"
restore_key

# A missing key file in a dir that already holds data-sets is not "first
# start" (DESIGN.md 3.3): making a new key would leave every data-set
# unreadable, and what is ingested next unreadable once the old key is
# restored. It must be refused, and no key file created.
rm "$key"
sl mk-missing-fsck fsck --data-dir "$M"
if [ "$RC" -eq 0 ] || [ -e "$key" ]; then
    soft_fail "fsck with master.key missing from a dir with data-sets exited $RC and $([ -e "$key" ] && echo "created a new key" || echo "created no key")"
else
    one_line_matching "$T/mk-missing-fsck.err" "^sluiced fsck: .*master key" "fsck with master.key missing"
fi
restore_key

# A key that opens nothing: each data-set's key is damaged, not silently
# re-created; export fails, fsck exits 1.
head -c 32 /dev/urandom >"$key"
chmod 600 "$key"
sl mk-wrong-fsck fsck --data-dir "$M"
[ "$RC" -eq 1 ] || fail "fsck under a wrong master key exited $RC, not 1"
grep -q -E "^damaged key dataset $MID" "$T/mk-wrong-fsck.out" ||
    fail "fsck under a wrong master key did not name the data-set: $(cat "$T/mk-wrong-fsck.out")"
sl mk-wrong-exp export --data-dir "$M" "$MID" -o "$T/mk-out"
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || fail "export under a wrong master key exited $RC"
one_line_matching "$T/mk-wrong-exp.err" "^sluiced export: " "export under a wrong master key"
restore_key

# chmod 400 is as private as 600: accepted. And the data is all there.
chmod 400 "$key"
sl_ok mk-ro-exp export --data-dir "$M" "$MID" -o "$T/mk-out"
cmp -s "$T/a.csv" "$T/mk-out" || fail "export after restoring the master key differs"
chmod 600 "$key"
fsck_clean "$M" mk-fsck-final
finish
