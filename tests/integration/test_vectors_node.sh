#!/usr/bin/env bash
# The test vectors of protocol v1 (docs/vectors/v1.json) checked a third
# way, in JavaScript with libraries that share nothing with sluice's C or
# with test_vectors.sh's Python: tests/cross/vectors.mjs (@noble/curves
# and @noble/hashes, pinned in package.json; AES-GCM from Node's crypto).
# It opens every key wrap and object (the AES-GCM that Python's standard
# library cannot), and checks every receipt's hash, link and EIP-191
# signature.
#
# Then the checker is checked: copies of the file with one byte changed (a
# wrap's ciphertext, a receipt's text, a receipt's signature, a query id)
# and with the receipts swapped must each fail, so that a checker that
# passes everything cannot pass here.
#
# Run by tests/run.sh from the repository root; needs node and the npm
# packages that scripts/bootstrap.sh installs (make test).
set -euo pipefail
cd "$(dirname "$0")/../.."

vectors=docs/vectors/v1.json
check=tests/cross/vectors.mjs
command -v node >/dev/null || { echo "FAIL: node is needed (scripts/bootstrap.sh installs it)"; exit 1; }
for p in @noble/curves @noble/hashes; do
    [ -f "node_modules/$p/package.json" ] ||
        { echo "FAIL: node_modules/$p is missing: run scripts/bootstrap.sh (or npm ci)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-vectors-node.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! node "$check" "$vectors"; then
    echo "FAIL: $check finds $vectors wrong (above)"
    exit 1
fi

python3 - "$vectors" "$tmp" <<'PY'
import base64, json, sys

src, out = sys.argv[1], sys.argv[2]


def tamper(name, change):
    doc = json.load(open(src, encoding="utf-8"))
    change(doc)
    with open("%s/%s.json" % (out, name), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")


def flip_b64(doc):
    w = doc["key_wraps"][0]["wrap"]
    ct = bytearray(base64.b64decode(w["ciphertext"]))
    ct[5] ^= 1
    w["ciphertext"] = base64.b64encode(bytes(ct)).decode()


def flip_hex(s, at):
    return s[:at] + "%x" % (int(s[at], 16) ^ 1) + s[at + 1:]


def receipt_text(doc):
    r = doc["receipts"][1]
    r["text"] = r["text"].replace("\ncost: ", "\ncosT: ")


def receipt_sig(doc):
    r = doc["receipts"][0]
    r["signature"] = flip_hex(r["signature"], 10)


def query_id(doc):
    w = doc["key_wraps"][1]
    w["query_id"] = flip_hex(w["query_id"], len(w["query_id"]) - 1)


def swap(doc):
    doc["receipts"].reverse()


tamper("wrap-ciphertext", flip_b64)
tamper("receipt-text", receipt_text)
tamper("receipt-signature", receipt_sig)
tamper("wrap-query-id", query_id)
tamper("receipts-swapped", swap)
PY

bad=0
for f in "$tmp"/*.json; do
    name=$(basename "$f" .json)
    if node "$check" "$f" >"$tmp/$name.out" 2>&1; then
        echo "FAIL: $check passes $vectors with a change ($name)"
        bad=1
    elif ! grep -q '^FAIL: ' "$tmp/$name.out"; then
        echo "FAIL: $check failed on $name without saying why:"
        cat "$tmp/$name.out"
        bad=1
    else
        echo "ok: $name refused: $(grep -m1 '^FAIL: ' "$tmp/$name.out")"
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "ok: $vectors agrees with an independent JavaScript implementation"
