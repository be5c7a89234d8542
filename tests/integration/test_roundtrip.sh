#!/usr/bin/env bash
# ingest then export gives back the input byte for byte, for CSV, JSON
# Lines and blobs of awkward shapes, cut into many chunks (small
# --chunk-size, --chunk-rows 1 and 3) with one and two threads; the
# catalogue agrees with the input (rows, chunk sizes, prefix) and fsck is
# clean after every ingest. Ends with a ~50 MiB CSV.
source "$(dirname "$0")/lib.sh"

IN=$T/in
mkdir -p "$IN"

# --- inputs --------------------------------------------------------------
# The manifest says, per file: name, format, expected rows ("-" when the
# format has none), and which option set to run ("rows": CSV/JSONL
# chunkings; "blob-small", "blob-big": blob chunk sizes fit for its size).
python3 - "$IN" <<'EOF'
import os, random, sys
out = sys.argv[1]
rnd = random.Random(20240611)
manifest = []

def put(name, fmt, data, rows, opts):
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(data)
    manifest.append("%s %s %s %s" % (name, fmt, rows if rows is not None else "-", opts))

def csv_rows(n, eol=b"\n", start=0):
    return [b"%d,name-%d,%d.%02d" % (i, i, i * 7, i % 100) + eol
            for i in range(start, start + n)]

hdr = b"id,name,price"
# CSV
put("csv_empty.csv", "csv", b"", 0, "rows")
put("csv_header_only.csv", "csv", hdr + b"\n", 0, "rows")
put("csv_header_only_nonl.csv", "csv", hdr, 0, "rows")
put("csv_header_only_crlf.csv", "csv", hdr + b"\r\n", 0, "rows")
put("csv_one_row_nonl.csv", "csv", hdr + b"\n1,a,2", 1, "rows")
put("csv_lf.csv", "csv", hdr + b"\n" + b"".join(csv_rows(60)), 60, "rows")
put("csv_crlf.csv", "csv", hdr + b"\r\n" + b"".join(csv_rows(60, b"\r\n")), 60, "rows")
mixed = [r if i % 3 else r[:-1] + b"\r\n" for i, r in enumerate(csv_rows(45))]
put("csv_mixed_eol.csv", "csv", hdr + b"\r\n" + b"".join(mixed), 45, "rows")
put("csv_no_final_nl.csv", "csv", hdr + b"\n" + b"".join(csv_rows(29)) + b"29,last,0", 30, "rows")
put("csv_no_final_nl_crlf.csv", "csv",
    hdr + b"\r\n" + b"".join(csv_rows(40, b"\r\n")) + b"40,last,0", 41, "rows")
put("csv_bom.csv", "csv", b"\xef\xbb\xbf" + hdr + b"\n" + b"".join(csv_rows(40)), 40, "rows")
put("csv_bom_header_only.csv", "csv", b"\xef\xbb\xbf" + hdr + b"\r\n", 0, "rows")
quoted = [
    b'1,"comma, inside",3\n',
    b'2,"a ""quoted"" word",4\n',
    b'3,"line\nbreak",5\n',
    b'4,"crlf\r\nbreak",6\r\n',
    b'5,"",7\n',
    b'6,"""",8\n',
    b'7,"multi\n\nblank\n\nlines",9\n',
    b'"8","all","quoted"\n',
    b'9,"ends with newline\n",10\n',
    b'10,,\n',
    b'11,"\xc3\xa9t\xc3\xa9, \xe2\x82\xac",12\n',
]
body = b"".join(quoted * 5)
put("csv_quoted.csv", "csv", b'"id","na,me","pr""ice"\n' + body, len(quoted) * 5, "rows")
put("csv_quoted_last_open_nl.csv", "csv", hdr + b'\n1,"x\ny",2', 1, "rows")
blank = (hdr + b"\n\n\n" + b"".join(csv_rows(30)) + b"\n\r\n\n" +
         b"".join(csv_rows(30, start=30)) + b"\n" + b"".join(csv_rows(1, start=60)) +
         b"\n\n\n")
put("csv_blank_lines.csv", "csv", blank, 61, "rows")
put("csv_blank_lines_crlf.csv", "csv",
    hdr + b"\r\n\r\n" + b"".join(csv_rows(20, b"\r\n")) + b"\r\n\r\n" +
    b"".join(csv_rows(20, b"\r\n", 20)) + b"\r\n", 40, "rows")
put("csv_blank_before_header.csv", "csv",
    b"\n\r\n" + hdr + b"\n" + b"".join(csv_rows(10)), 10, "rows")
put("csv_only_blank_after_header.csv", "csv", hdr + b"\n\n\n\n", 0, "rows")
long_rows = [b"%d,%s,%d\n" % (i, b"x" * rnd.randrange(1, 5000), i) for i in range(60)]
put("csv_long_rows.csv", "csv", hdr + b"\n" + b"".join(long_rows), 60, "rows")
put("csv_single_col.csv", "csv", b"v\n" + b"".join(b"%d\n" % i for i in range(80)), 80, "rows")
uni = [("%d,\"%s\",%d\n" % (i, "".join(chr(rnd.choice([0x41, 0xe9, 0x4e2d, 0x1f600, 0x2c]))
                                     for _ in range(rnd.randrange(0, 40))), i)).encode()
       for i in range(80)]
put("csv_unicode.csv", "csv", hdr + b"\n" + b"".join(uni), 80, "rows")

# JSON Lines
objs = [b'{"id":%d,"name":"n%d","v":%s,"tags":["a","b"],"o":{"k":[1,{"z":null}]}}' %
        (i, i, [b"1.5", b"-0", b"1e3", b"true", b"null", b'"t\\u00e9xt"', b'"\xe2\x82\xac"'][i % 7])
        for i in range(60)]
put("jsonl_empty.jsonl", "jsonl", b"", 0, "rows")
put("jsonl_lf.jsonl", "jsonl", b"\n".join(objs) + b"\n", 60, "rows")
put("jsonl_crlf.jsonl", "jsonl", b"\r\n".join(objs) + b"\r\n", 60, "rows")
put("jsonl_no_final_nl.jsonl", "jsonl", b"\n".join(objs), 60, "rows")
put("jsonl_blank_lines.jsonl", "jsonl",
    b"\n\n" + b"\n".join(objs[:50]) + b"\n\n\r\n\n" + b"\n".join(objs[50:]) + b"\n\n\n", 60, "rows")
put("jsonl_blank_crlf.jsonl", "jsonl",
    b"\r\n" + b"\r\n\r\n".join(objs) + b"\r\n\r\n", 60, "rows")
put("jsonl_only_blank.jsonl", "jsonl", b"\n\n\r\n", 0, "rows")
put("jsonl_bom.jsonl", "jsonl", b"\xef\xbb\xbf" + b"\n".join(objs[:20]) + b"\n", 20, "rows")
put("jsonl_one_nonl.jsonl", "jsonl", b'{"a":1}', 1, "rows")
put("jsonl_spaces.jsonl", "jsonl",
    b"".join(b'  { "a" : %d , "b" : [ 1 , 2 ] }  \n' % i for i in range(40)), 40, "rows")
varied = [b'{"k%d":%d}' % (i % 13, i) for i in range(80)]
put("jsonl_varied_keys.jsonl", "jsonl", b"\n".join(varied) + b"\n", 80, "rows")
big = [b'{"i":%d,"pad":"%s"}' % (i, b"p" * rnd.randrange(0, 3000)) for i in range(50)]
put("jsonl_long_rows.jsonl", "jsonl", b"\n".join(big) + b"\n", 50, "rows")

# Blobs: sizes around both small chunk sizes and the 1 MiB default.
for n in (0, 1, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 5000):
    put("blob_%d.bin" % n, "blob", rnd.randbytes(n), None, "blob-small")
for n in (1048575, 1048576, 1048577, 3 * 1048576 + 17):
    put("blob_%d.bin" % n, "blob", rnd.randbytes(n), None, "blob-big")
# Compressible, so that compressed chunks are exercised as well as raw.
put("blob_text.bin", "blob", b"".join(csv_rows(20000)), None, "blob-big")

with open(os.path.join(out, "MANIFEST"), "w") as fh:
    fh.write("\n".join(manifest) + "\n")
EOF
[ $? -eq 0 ] || fail "generating the inputs failed"

# --- the catalogue checker -------------------------------------------------
# Reads a list of "dir id file format rows chunk_bytes chunk_rows" and checks
# each data-set's records against its input file.
cat >"$T/check.py" <<'EOF'
import os, sqlite3, sys
errors = []
def err(ctx, msg):
    errors.append("%s: %s" % (ctx, msg))
for line in open(sys.argv[1]):
    ddir, ds, path, fmt, rows, cb, cr = line.split()
    ctx = "%s (%s, chunk_bytes %s, chunk_rows %s)" % (os.path.basename(path), ds[:10], cb, cr)
    cb, cr = int(cb), int(cr)
    size = os.path.getsize(path)
    db = sqlite3.connect("file:%s/sluice.db?mode=ro" % ddir, uri=True)
    d = db.execute("SELECT state, rows, chunk_count, plain_bytes, length(prefix),"
                   " format, chunk_bytes, chunk_rows, content_root IS NOT NULL"
                   " FROM datasets WHERE id = ?", (bytes.fromhex(ds[2:]),)).fetchone()
    if d is None:
        err(ctx, "no data-set record"); continue
    state, drows, ccount, pbytes, plen, dfmt, dcb, dcr, has_root = d
    plen = plen or 0
    if state != "published": err(ctx, "state %s" % state)
    if dfmt != fmt: err(ctx, "format %s" % dfmt)
    if not has_root: err(ctx, "no content root")
    ch = db.execute("SELECT idx, first_row, rows, plain_bytes, stored_bytes, object_id"
                    " FROM chunks WHERE dataset_id = ? ORDER BY idx",
                    (bytes.fromhex(ds[2:]),)).fetchall()
    if len(ch) != ccount: err(ctx, "chunk_count %s but %d chunk rows" % (ccount, len(ch)))
    if [c[0] for c in ch] != list(range(len(ch))): err(ctx, "chunk indexes not 0..n-1")
    if sum(c[3] for c in ch) != pbytes: err(ctx, "plain_bytes %s != sum of chunks" % pbytes)
    if plen + sum(c[3] for c in ch) != size:
        err(ctx, "prefix %d + chunk bytes %d != file size %d" % (plen, sum(c[3] for c in ch), size))
    for c in ch:
        if c[4] < 52: err(ctx, "chunk %d stored_bytes %d < 52" % (c[0], c[4]))
        p = os.path.join(ddir, "objects", c[5][:2], c[5])
        if not os.path.isfile(p): err(ctx, "chunk %d object file missing" % c[0])
        elif os.path.getsize(p) != c[4]: err(ctx, "chunk %d object size != stored_bytes" % c[0])
    if size == 0 and ch: err(ctx, "an empty input made chunks")
    if fmt == "blob":
        if drows not in (None, 0): err(ctx, "a blob has rows %r" % drows)
        for c in ch:
            if c[1] is not None or c[2] is not None: err(ctx, "blob chunk %d has first_row/rows" % c[0])
        for c in ch[:-1]:
            if c[3] != cb: err(ctx, "blob chunk %d holds %d bytes, not %d" % (c[0], c[3], cb))
        if ch and not 1 <= ch[-1][3] <= cb: err(ctx, "last blob chunk holds %d bytes" % ch[-1][3])
        if len(ch) != (size + cb - 1) // cb: err(ctx, "%d chunks for %d bytes" % (len(ch), size))
        continue
    want = int(rows)
    if drows != want: err(ctx, "rows %r, expected %d" % (drows, want))
    nxt = 0
    for c in ch:
        if c[1] != nxt: err(ctx, "chunk %d first_row %r, expected %d" % (c[0], c[1], nxt))
        if c[2] is None or c[2] < 1: err(ctx, "chunk %d holds %r rows" % (c[0], c[2])); break
        nxt += c[2]
    if nxt != want: err(ctx, "chunks hold %d rows, expected %d" % (nxt, want))
    if cr:
        for c in ch[:-1]:
            if c[2] != cr: err(ctx, "chunk %d holds %d rows, not %d" % (c[0], c[2], cr))
        if len(ch) != (want + cr - 1) // cr: err(ctx, "%d chunks for %d rows" % (len(ch), want))
    else:
        for c in ch[:-1]:
            if c[3] < cb: err(ctx, "chunk %d holds %d bytes, below the target %d" % (c[0], c[3], cb))
    db.close()
for e in errors[:50]:
    print(e)
sys.exit(1 if errors else 0)
EOF

CHECKS=$T/checks.txt
: >"$CHECKS"

# ingest_export DIR FILE FORMAT ROWS CHUNK_BYTES CHUNK_ROWS THREADS [OPTS...]
ingest_export() {
    local dir=$1 file=$2 fmt=$3 rows=$4 cb=$5 cr=$6 threads=$7 id
    shift 7
    sl_ok ing ingest --data-dir "$dir" --format "$fmt" --threads "$threads" "$@" "$file"
    id=$(ingest_id ing)
    grep -q -E '^ingest: [0-9]+ rows, [0-9]+ chunks' "$T/ing.err" ||
        fail "ingest of $file printed no summary line"
    rm -f "$T/export.bin"
    sl_ok exp export --data-dir "$dir" "$id" -o "$T/export.bin"
    cmp "$file" "$T/export.bin" >/dev/null ||
        fail "export of $(basename "$file") ($fmt, $* --threads $threads) differs from the input: $(cmp "$file" "$T/export.bin" 2>&1)"
    [ "$(stat -c %a "$T/export.bin")" = 600 ] ||
        fail "export -o made a file with mode $(stat -c %a "$T/export.bin"), not 600"
    echo "$dir $id $file $fmt $rows $cb $cr" >>"$CHECKS"
    LAST_ID=$id
}

n=0
while read -r name fmt rows opts; do
    file=$IN/$name
    dir=$T/dd-$name
    case $opts in
    rows)
        for threads in 1 2; do
            ingest_export "$dir" "$file" "$fmt" "$rows" 64 0 "$threads" --chunk-size 64
            ingest_export "$dir" "$file" "$fmt" "$rows" 1024 0 "$threads" --chunk-size 1K
            ingest_export "$dir" "$file" "$fmt" "$rows" 1048576 1 "$threads" --chunk-rows 1
            ingest_export "$dir" "$file" "$fmt" "$rows" 1048576 3 "$threads" --chunk-rows 3
        done
        case $name in
        csv_quoted.csv | jsonl_lf.jsonl | csv_long_rows.csv)
            ingest_export "$dir" "$file" "$fmt" "$rows" 1048576 0 2 --level 0
            ingest_export "$dir" "$file" "$fmt" "$rows" 1048576 0 2 --level 9 ;;
        *)
            ingest_export "$dir" "$file" "$fmt" "$rows" 1048576 0 2 ;;
        esac
        ;;
    blob-small)
        for threads in 1 2; do
            ingest_export "$dir" "$file" blob - 64 0 "$threads" --chunk-size 64
            ingest_export "$dir" "$file" blob - 1024 0 "$threads" --chunk-size 1024
        done
        ingest_export "$dir" "$file" blob - 1048576 0 2
        ;;
    blob-big)
        for threads in 1 2; do
            ingest_export "$dir" "$file" blob - 1048576 0 "$threads"
            ingest_export "$dir" "$file" blob - 65536 0 "$threads" --chunk-size 64K
        done
        ;;
    *) fail "manifest: unknown option set $opts" ;;
    esac
    # Export to standard output too, once per input.
    sl_ok expo export --data-dir "$dir" "$LAST_ID"
    cmp "$file" "$T/expo.out" >/dev/null || fail "export of $name to stdout differs"
    # fsck reads back every data-set of this input's dir: all clean.
    fsck_clean "$dir"
    [ "$(sql "$dir" "SELECT count(*) FROM datasets WHERE state != 'published'")" = 0 ] ||
        fail "$name: a data-set is not published"
    grep -q -E "^fsck: $(sql "$dir" "SELECT count(*) FROM datasets") data-sets," "$T/fsck.err" ||
        fail "$name: fsck did not check every data-set: $(cat "$T/fsck.err")"
    n=$((n + 1))
done <"$IN/MANIFEST"
note "$n inputs round-tripped"

# FILE "-" reads standard input: a pipe (size unknown) and a regular file.
for name in csv_quoted.csv jsonl_blank_lines.jsonl blob_5000.bin blob_1048577.bin csv_empty.csv; do
    file=$IN/$name
    fmt=$(awk -v n="$name" '$1 == n {print $2}' "$IN/MANIFEST")
    rows=$(awk -v n="$name" '$1 == n {print $3}' "$IN/MANIFEST")
    dir=$T/dd-stdin
    sl_ok stdin-pipe ingest --data-dir "$dir" --format "$fmt" --chunk-size 1K - < <(cat "$file")
    id=$(ingest_id stdin-pipe)
    echo "$dir $id $file $fmt $rows 1024 0" >>"$CHECKS"
    sl_ok stdin-pipe-exp export --data-dir "$dir" "$id"
    cmp -s "$file" "$T/stdin-pipe-exp.out" || fail "ingest of $name from a pipe does not round-trip"
    sl_ok stdin-file ingest --data-dir "$dir" --format "$fmt" --chunk-size 1K - <"$file"
    id=$(ingest_id stdin-file)
    echo "$dir $id $file $fmt $rows 1024 0" >>"$CHECKS"
    sl_ok stdin-file-exp export --data-dir "$dir" "$id"
    cmp -s "$file" "$T/stdin-file-exp.out" || fail "ingest of $name from redirected stdin does not round-trip"
done
fsck_clean "$T/dd-stdin"

# Rows, chunk sizes, prefixes and object files agree with every input.
python3 "$T/check.py" "$CHECKS" || fail "the catalogue does not match the inputs (above)"

# --- a ~50 MiB CSV -----------------------------------------------------------
bigrows=$(python3 - "$T/big.csv" <<'EOF'
import random, sys
rnd = random.Random(7)
words = [b"alpha", b"beta", b"gamma, delta", b'say ""hi""', b"x" * 40, b"\xc3\xa9l\xc3\xa8ve"]
with open(sys.argv[1], "wb") as fh:
    fh.write(b"\xef\xbb\xbfid,ts,amount,label,note\r\n")
    buf, size, i = [], 0, 0
    while size < 50 * 1048576:
        w = rnd.choice(words)
        q = b'"' + w + b'"' if (b"," in w or b'"' in w) else w
        row = b"%d,2024-06-%02dT%02d:%02d:00Z,%d.%02d,%s,%s\r\n" % (
            i, 1 + i % 28, i % 24, i % 60, rnd.randrange(100000), i % 100, q,
            b'"multi\nline"' if i % 1000 == 0 else b"n%d" % (i % 977))
        buf.append(row); size += len(row); i += 1
        if len(buf) >= 10000:
            fh.write(b"".join(buf)); buf = []
    fh.write(b"".join(buf))
    print(i)
EOF
) || fail "generating big.csv failed"
start=$SECONDS
sl_ok bigi ingest --data-dir "$T/dd-big" --format csv --threads 2 "$T/big.csv"
bigid=$(ingest_id bigi)
sl_ok bige export --data-dir "$T/dd-big" "$bigid" -o "$T/big.out"
cmp "$T/big.csv" "$T/big.out" >/dev/null || fail "the 50 MiB CSV does not round-trip"
rm -f "$T/big.out"
fsck_clean "$T/dd-big"
echo "$T/dd-big $bigid $T/big.csv csv $bigrows 1048576 0" >"$T/checks-big.txt"
python3 "$T/check.py" "$T/checks-big.txt" || fail "the 50 MiB CSV's catalogue is wrong (above)"
note "50 MiB CSV round-tripped in $((SECONDS - start)) s ($(sql "$T/dd-big" "SELECT chunk_count FROM datasets") chunks)"
note "ok"
