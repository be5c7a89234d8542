#!/usr/bin/env bash
# The test vectors of protocol v1 (DESIGN.md 3.8, docs/PROTOCOL.md).
#
# 1. Regenerate docs/vectors/v1.json with "$SLUICE_BUILD/gen_vectors" (twice,
#    to see that it is deterministic) and fail with a diff on any
#    difference from the committed file: the code and the published
#    vectors must not drift apart.
# 2. Check the committed file independently of the C code, in Python with
#    the standard library only: its shape and encodings (3.8, 3.2), and
#    every value that can be recomputed without AES-GCM: Keccak-256,
#    EIP-55 addresses, request messages and signatures (RFC 6979, with a
#    small pure-Python secp256k1), chunk keys (HKDF), the SLC1 header and
#    zlib payload of each object, object ids, the ECDH and HKDF steps of
#    each key wrap, and each receipt's text, hash, link to the one before
#    and signature (DESIGN.md 3.10). AES-GCM itself is checked by
#    gen_vectors, which opens every object and wrap it prints, and by
#    tests/integration/test_vectors_node.sh, independently.
# 3. Check that the worked examples of docs/PROTOCOL.md still quote the
#    file's values.
#
# Run by tests/run.sh from the repository root with SLUICE_BUILD set.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${SLUICE_BUILD:-build}
gen=$build/gen_vectors
vectors=docs/vectors/v1.json
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-vectors.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$gen" ]; then
    echo "FAIL: $gen is missing; build it with: make BUILD=$build $gen"
    exit 1
fi
if [ ! -f "$vectors" ]; then
    echo "FAIL: $vectors is missing; write it with: make BUILD=$build vectors"
    exit 1
fi

if ! "$gen" >"$tmp/v1.json"; then
    echo "FAIL: $gen exited with an error (its own checks failed)"
    exit 1
fi
"$gen" >"$tmp/again.json"
if ! cmp -s "$tmp/v1.json" "$tmp/again.json"; then
    echo "FAIL: two runs of $gen printed different bytes"
    diff -u "$tmp/v1.json" "$tmp/again.json" | head -40
    exit 1
fi
if ! diff -u "$vectors" "$tmp/v1.json"; then
    echo "FAIL: $gen no longer prints $vectors (diff above: - committed, + now)."
    echo "      If the change is intended, run 'make BUILD=$build vectors'"
    echo "      and say in the commit why published vectors changed."
    exit 1
fi
echo "ok: $gen reproduces $vectors byte for byte"

python3 - "$vectors" <<'PY'
import base64
import hashlib
import hmac
import json
import re
import sys
import zlib

path = sys.argv[1]
errors = []


def fail(where, msg):
    errors.append("%s: %s" % (where, msg))


# ---- Keccak-256 (Ethereum's: padding 0x01 ... 0x80, rate 136) -----------

RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A,
    0x8000000080008000, 0x000000000000808B, 0x0000000080000001,
    0x8000000080008081, 0x8000000000008009, 0x000000000000008A,
    0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080,
    0x000000000000800A, 0x800000008000000A, 0x8000000080008081,
    0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
ROT = [  # ROT[x][y]
    [0, 36, 3, 41, 18],
    [1, 44, 10, 45, 2],
    [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56],
    [27, 20, 39, 8, 14],
]
M64 = (1 << 64) - 1


def rol(v, n):
    return ((v << n) | (v >> (64 - n))) & M64 if n else v


def keccak_f(a):  # a[x][y]
    for rc in RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y])
              for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    msg = bytearray(data)
    msg.append(0x01)
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


# Check the checker against published digests before trusting it.
assert keccak256(b"").hex() == \
    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert keccak256(b"abc").hex() == \
    "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"

# ---- secp256k1, just enough to check (affine, not constant time) --------

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0]:
        if (p1[1] + p2[1]) % P == 0:
            return None
        lam = 3 * p1[0] * p1[0] * pow(2 * p1[1], -1, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return (x, (lam * (p1[0] - x) - p1[1]) % P)


def ec_mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = ec_add(acc, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return acc


def compressed(pt):
    return bytes([2 | (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def address_of(pt):
    return keccak256(pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big"))[12:]


def eip55(addr20):
    low = addr20.hex()
    h = keccak256(low.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8
                          else c for i, c in enumerate(low))


def personal_hash(msg):
    return keccak256(b"\x19Ethereum Signed Message:\n" +
                     str(len(msg)).encode() + msg)


def rfc6979_k(secret, h):
    """libsecp256k1's default nonce: RFC 6979 HMAC-SHA256, no extra data."""
    x = secret.to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        cand = int.from_bytes(v, "big")
        if 1 <= cand < N:
            return cand
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign(secret, h):
    k = rfc6979_k(secret, h)
    r_pt = ec_mul(k, G)
    r = r_pt[0] % N
    recid = (r_pt[1] & 1) | (2 if r_pt[0] >= N else 0)
    s = pow(k, -1, N) * (int.from_bytes(h, "big") + r * secret) % N
    if s > N // 2:
        s = N - s
        recid ^= 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recid])


def recover(sig, h):
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    v = sig[64]
    recid = v - 27 if v >= 27 else v
    x = r + (N if recid & 2 else 0)
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P:
        return None
    if (y & 1) != (recid & 1):
        y = P - y
    z = int.from_bytes(h, "big")
    rinv = pow(r, -1, N)
    q = ec_add(ec_mul(s * rinv % N, (x, y)), ec_mul((-z * rinv) % N, G))
    return q


assert eip55(address_of(ec_mul(
    0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80, G))) \
    == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

# ---- HKDF-SHA256 (RFC 5869) ---------------------------------------------


def hkdf(ikm, salt, info, length=32):
    prk = hmac.new(salt if salt else b"\x00" * 32, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


# RFC 5869 test case 1, to trust the checker.
assert hkdf(bytes.fromhex("0b" * 22), bytes.fromhex("000102030405060708090a0b0c"),
            bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42).hex() == (
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
    "34007208d5b887185865")

# ---- shape and encodings (DESIGN.md 3.8, 3.2) ----------------------------

HEX = re.compile(r"0x(?:[0-9a-f]{2})*")
DEC = re.compile(r"0|[1-9][0-9]*")
OBJID = re.compile(r"[0-9a-f]{64}")
ADDR = re.compile(r"0x[0-9a-fA-F]{40}")
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
WRAP_ALG = "secp256k1-ecdh-hkdf-sha256-aes256gcm"


def check_value(where, kind, v):
    """Check v against kind; return the decoded value, or None (and fail)."""
    if kind == "list":
        if not isinstance(v, list):
            fail(where, "must be a JSON array")
            return None
        return v
    if kind == "object":
        if not isinstance(v, dict):
            fail(where, "must be a JSON object")
            return None
        return v
    if not isinstance(v, str):
        fail(where, "must be a JSON string, not %s" % type(v).__name__)
        return None
    if kind == "text":
        return v
    if isinstance(kind, tuple) or kind == "hex":
        if not HEX.fullmatch(v):
            fail(where, "must be 0x + lowercase hex, got %r" % v[:40])
            return None
        b = bytes.fromhex(v[2:])
        if isinstance(kind, tuple) and len(b) != kind[1]:
            fail(where, "must be %d bytes, is %d" % (kind[1], len(b)))
            return None
        return b
    if kind == "dec":
        if not DEC.fullmatch(v):
            fail(where, "must be a decimal string 0|[1-9][0-9]*, got %r" % v)
            return None
        return int(v)
    if kind == "addr":
        if not ADDR.fullmatch(v):
            fail(where, "must be 0x + 40 hex digits")
            return None
        if eip55(bytes.fromhex(v[2:])) != v:
            fail(where, "%s is not in EIP-55 checksum case" % v)
            return None
        return bytes.fromhex(v[2:])
    if kind == "objid":
        if not OBJID.fullmatch(v):
            fail(where, "must be 64 lowercase hex digits, no 0x")
            return None
        return v
    if kind == "b64":
        try:
            b = base64.b64decode(v, validate=True)
        except ValueError:
            fail(where, "is not standard base64")
            return None
        if base64.b64encode(b).decode() != v:
            fail(where, "is not canonical padded base64")
            return None
        return b
    raise AssertionError(kind)


def hexn(n):
    return ("hex", n)


SCHEMA = {
    "keccak256": {"input_hex": "hex", "digest": hexn(32)},
    "accounts": {"private_key": hexn(32), "address": "addr"},
    "request_signatures": {
        "private_key": hexn(32), "method": "text", "target": "text",
        "body_hex": "hex", "timestamp": "text", "nonce": "text",
        "message": "text", "signature": hexn(65), "address": "addr"},
    "chunk_keys": {"dk": hexn(32), "dataset_id": hexn(32), "index": "dec",
                   "ck": hexn(32)},
    "objects": {"dk": hexn(32), "ck": hexn(32), "dataset_id": hexn(32),
                "index": "dec", "plaintext_hex": "hex", "object_hex": "hex",
                "object_id": "objid"},
    "key_wraps": {"worker_private_key": hexn(32),
                  "ephemeral_secret": hexn(32), "dataset_id": hexn(32),
                  "query_id": hexn(16), "chunks": "list", "wrap": "object"},
    "receipts": {"gateway_private_key": hexn(32), "text": "text",
                 "hash": hexn(32), "signature": hexn(65)},
}
# Intermediates that entries may carry (3.8).
OPTIONAL = {
    "objects": {"nonce": hexn(12), "payload_hex": "hex"},
    "key_wraps": {"shared_secret": hexn(32), "wk": hexn(32),
                  "plaintext_hex": "hex"},
}
MINIMUM = {"keccak256": 3, "accounts": 1, "request_signatures": 2,
           "chunk_keys": 2, "objects": 2, "key_wraps": 1, "receipts": 2}
CHUNK_SCHEMA = {"index": "dec", "ck": hexn(32)}
WRAP_SCHEMA = {"alg": "text", "epk": hexn(33), "nonce": hexn(12),
               "ciphertext": "b64"}


def check_object(where, obj, required, optional=None):
    """Decode obj's members per schema: a dict of decoded values, or None."""
    optional = optional or {}
    if not isinstance(obj, dict):
        fail(where, "must be a JSON object")
        return None
    out, ok = {}, True
    for key, kind in required.items():
        if key not in obj:
            fail(where, "misses %r" % key)
            ok = False
            continue
        val = check_value("%s.%s" % (where, key), kind, obj[key])
        ok = ok and val is not None
        out[key] = val
    for key, kind in optional.items():
        if key in obj:
            val = check_value("%s.%s" % (where, key), kind, obj[key])
            ok = ok and val is not None
            out[key] = val
    for key in obj:
        if key not in required and key not in optional:
            fail(where, "has %r, which this test and docs/PROTOCOL.md do not "
                 "describe" % key)
            ok = False
    return out if ok else None


with open(path, "rb") as fh:
    raw = fh.read()


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("file", "a JSON object repeats a key")
    return dict(pairs)


doc = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
if not raw.endswith(b"}\n"):
    fail("file", "must end with '}' and one newline")
if type(doc.get("version")) is not int or doc["version"] != 1:
    fail("version", "must be the JSON number 1")

sections = {}
for name, schema in SCHEMA.items():
    entries = doc.get(name)
    if not isinstance(entries, list):
        fail(name, "must be a JSON array")
        continue
    if len(entries) < MINIMUM[name]:
        fail(name, "must hold at least %d entries, holds %d"
             % (MINIMUM[name], len(entries)))
    decoded = []
    for i, e in enumerate(entries):
        d = check_object("%s[%d]" % (name, i), e, schema,
                         OPTIONAL.get(name))
        if d is not None:
            decoded.append((i, d))
    sections[name] = decoded
for key in doc:
    if key not in ("version", "abi") and key not in SCHEMA:
        print("note: top-level list %r is not checked here" % key)

# ---- keccak256 -----------------------------------------------------------

inputs = set()
for i, e in sections.get("keccak256", []):
    inputs.add(e["input_hex"])
    if keccak256(e["input_hex"]).hex() != e["digest"].hex():
        fail("keccak256[%d]" % i, "digest is not keccak256(input_hex)")
for want, what in ((b"", "the empty input"), (b"abc", '"abc"')):
    if want not in inputs:
        fail("keccak256", "has no entry for %s" % what)
if not any(len(x) > 136 for x in inputs):
    fail("keccak256", "has no input over 136 bytes (one rate block)")

# ---- accounts ------------------------------------------------------------

ANVIL0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
seen_anvil = False
for i, e in sections.get("accounts", []):
    secret = int.from_bytes(e["private_key"], "big")
    if not 1 <= secret < N:
        fail("accounts[%d]" % i, "private_key is not in [1, n)")
        continue
    seen_anvil = seen_anvil or secret == ANVIL0
    if address_of(ec_mul(secret, G)) != e["address"]:
        fail("accounts[%d]" % i, "address is not the private key's")
if not seen_anvil:
    fail("accounts", "misses anvil's first development key")

# ---- request signatures (3.1) --------------------------------------------

kinds = set()
for i, e in sections.get("request_signatures", []):
    where = "request_signatures[%d]" % i
    body = e["body_hex"]
    if not TOKEN.fullmatch(e["method"]):
        fail(where, "method is not an HTTP token")
    t = e["target"]
    if not t.startswith("/") or any(ord(c) <= 0x20 or ord(c) >= 0x7f
                                    for c in t):
        fail(where, "target must start with '/' and hold no space, control "
             "or non-ASCII byte")
    if not DEC.fullmatch(e["timestamp"]):
        fail(where, "timestamp must be decimal with no sign or leading zero")
    if not NONCE.fullmatch(e["nonce"]):
        fail(where, "nonce must be 16 to 64 characters of [A-Za-z0-9_-]")
    want = "\n".join(["sluice-request-v1", e["method"], t,
                      hashlib.sha256(body).hexdigest(), e["timestamp"],
                      e["nonce"]])
    if e["message"] != want:
        fail(where, "message is not the six lines of 3.1: want %r" % want)
        continue
    sig = e["signature"]
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    if not (0 < r < N and 0 < s <= N // 2):
        fail(where, "signature has r or s out of range, or a high s")
        continue
    if sig[64] not in (27, 28):
        fail(where, "signature's v must be 27 + recovery id")
        continue
    secret = int.from_bytes(e["private_key"], "big")
    h = personal_hash(e["message"].encode("utf-8"))
    if sign(secret, h) != sig:
        fail(where, "signature is not the RFC 6979 low-s signature of the "
             "EIP-191 hash of message")
    q = recover(sig, h)
    if q is None or address_of(q) != e["address"]:
        fail(where, "the signer recovered from signature is not address")
    if address_of(ec_mul(secret, G)) != e["address"]:
        fail(where, "address is not the private key's")
    if e["method"] == "GET" and not body and "?" in t:
        kinds.add("get")
    if e["method"] == "POST" and body:
        try:
            json.loads(body.decode("utf-8"))
            kinds.add("post-json")
        except ValueError:
            pass
if "get" not in kinds:
    fail("request_signatures", "has no GET with an empty body and a query "
         "string")
if "post-json" not in kinds:
    fail("request_signatures", "has no POST with a JSON body")

# ---- chunk keys (3.3) ----------------------------------------------------


def chunk_key(dk, ds, index):
    return hkdf(dk, ds, b"sluice/chunk/v1" + index.to_bytes(8, "big"))


known_ck = {}
for i, e in sections.get("chunk_keys", []):
    if e["index"] >= 2**64:
        fail("chunk_keys[%d]" % i, "index does not fit in 64 bits")
        continue
    ck = chunk_key(e["dk"], e["dataset_id"], e["index"])
    if ck != e["ck"]:
        fail("chunk_keys[%d]" % i, "ck is not HKDF-SHA256(dk, dataset_id, "
             "\"sluice/chunk/v1\" || u64be(index))")
    known_ck[(e["dataset_id"], e["index"])] = ck

# ---- objects (3.4) -------------------------------------------------------

flags_seen = set()
for i, e in sections.get("objects", []):
    where = "objects[%d]" % i
    obj, plain = e["object_hex"], e["plaintext_hex"]
    if e["index"] >= 2**64:
        fail(where, "index does not fit in 64 bits")
        continue
    if chunk_key(e["dk"], e["dataset_id"], e["index"]) != e["ck"]:
        fail(where, "ck is not CK_index of dk and dataset_id")
    if hashlib.sha256(obj).hexdigest() != e["object_id"]:
        fail(where, "object_id is not the SHA-256 of object_hex")
    if len(obj) < 52:
        fail(where, "object_hex is shorter than a header and a tag")
        continue
    hdr = obj[:36]
    if hdr[0:4] != b"SLC1":
        fail(where, "magic is not SLC1")
    if hdr[4] != 1:
        fail(where, "version is not 1")
    flags = hdr[5]
    if flags & 0xFE:
        fail(where, "flags set bits other than bit 0")
    if hdr[6:8] != b"\x00\x00":
        fail(where, "reserved bytes are not zero")
    if int.from_bytes(hdr[8:16], "big") != e["index"]:
        fail(where, "the header's index is not the entry's index")
    if int.from_bytes(hdr[16:24], "big") != len(plain):
        fail(where, "the header's plaintext length is not len(plaintext)")
    if "nonce" in e and hdr[24:36] != e["nonce"]:
        fail(where, "the header's nonce is not the entry's nonce")
    flags_seen.add(flags & 1)
    payload = e.get("payload_hex")
    if payload is None:
        fail(where, "has no payload_hex to check the object's body against")
        continue
    if len(obj) != 36 + len(payload) + 16:
        fail(where, "object is not 36 + len(payload) + 16 bytes")
    if flags & 1:
        d = zlib.decompressobj()  # RFC 1950: zlib header and Adler-32
        try:
            out = d.decompress(payload) + d.flush()
        except zlib.error as exc:
            fail(where, "payload_hex is not a zlib stream (%s)" % exc)
            continue
        if not d.eof or d.unused_data:
            fail(where, "payload_hex is not exactly one zlib stream")
        if out != plain:
            fail(where, "payload_hex does not inflate to plaintext_hex")
        if len(payload) >= len(plain):
            fail(where, "a compressed payload must be smaller than the "
                 "plaintext")
    elif payload != plain:
        fail(where, "a raw object's payload must be the plaintext")
if 1 not in flags_seen:
    fail("objects", "has no compressed object (flags bit 0 set)")
if 0 not in flags_seen:
    fail("objects", "has no raw object (flags bit 0 clear)")

# ---- key wraps (3.5) -----------------------------------------------------

sizes = set()
for i, e in sections.get("key_wraps", []):
    where = "key_wraps[%d]" % i
    chunks = [check_object("%s.chunks[%d]" % (where, j), c, CHUNK_SCHEMA)
              for j, c in enumerate(e["chunks"])]
    wrap = check_object(where + ".wrap", e["wrap"], WRAP_SCHEMA)
    if wrap is None or any(c is None for c in chunks):
        continue
    sizes.add(len(chunks))
    if wrap["alg"] != WRAP_ALG:
        fail(where, "wrap.alg is not %r" % WRAP_ALG)
    idx = [c["index"] for c in chunks]
    if any(x >= 2**64 for x in idx) or any(a >= b for a, b in
                                           zip(idx, idx[1:])):
        fail(where, "chunks are not strictly ascending 64-bit indexes")
        continue
    for c in chunks:
        ck = known_ck.get((e["dataset_id"], c["index"]))
        if ck is not None and ck != c["ck"]:
            fail(where, "chunk %d's ck differs from chunk_keys" % c["index"])
    e_secret = int.from_bytes(e["ephemeral_secret"], "big")
    w_secret = int.from_bytes(e["worker_private_key"], "big")
    if not (1 <= e_secret < N and 1 <= w_secret < N):
        fail(where, "a private key is not in [1, n)")
        continue
    epk = compressed(ec_mul(e_secret, G))
    if wrap["epk"] != epk:
        fail(where, "wrap.epk is not the compressed e*G")
    shared = hashlib.sha256(
        compressed(ec_mul(e_secret, ec_mul(w_secret, G)))).digest()
    # The worker's side of ECDH meets the same point.
    shared_w = hashlib.sha256(
        compressed(ec_mul(w_secret, ec_mul(e_secret, G)))).digest()
    if shared != shared_w:
        fail(where, "ECDH does not agree with itself (checker bug)")
    if "shared_secret" in e and e["shared_secret"] != shared:
        fail(where, "shared_secret is not SHA-256 of the compressed e*P")
    wk = hkdf(shared, epk, b"sluice/wrap/v1")
    if "wk" in e and e["wk"] != wk:
        fail(where, "wk is not HKDF-SHA256(shared_secret, salt = epk, "
             "\"sluice/wrap/v1\")")
    pt = b"".join(c["index"].to_bytes(8, "big") + c["ck"] for c in chunks)
    if "plaintext_hex" in e and e["plaintext_hex"] != pt:
        fail(where, "plaintext_hex is not u64be(index) || ck per chunk")
    if len(wrap["ciphertext"]) != len(pt) + 16:
        fail(where, "wrap.ciphertext is not len(plaintext) + 16 bytes")
if 0 not in sizes:
    fail("key_wraps", "has no wrap of the empty list")
if not any(n >= 2 for n in sizes):
    fail("key_wraps", "has no wrap of two or more chunks")

# ---- receipts (3.10) -----------------------------------------------------

RECEIPT_LINES = ["index", "prev", "time", "gateway", "dataset", "worker",
                 "query", "chunks", "cost", "balance_after", "credited_total",
                 "spent_total"]
HEXLINE = {"prev": 32, "dataset": 32, "query": 16}
last_hash, last_index, empty_chunks = bytes(32), 0, False
for i, e in sections.get("receipts", []):
    where = "receipts[%d]" % i
    text = e["text"]
    lines = text.split("\n")
    if lines[0] != "sluice-release-v1" or len(lines) != 1 + len(RECEIPT_LINES):
        fail(where, "text is not the 13 lines of 3.10")
        continue
    fields = {}
    for name, line in zip(RECEIPT_LINES, lines[1:]):
        if not line.startswith(name + ": "):
            fail(where, "the line for %r is %r" % (name, line[:40]))
        fields[name] = line[len(name) + 2:]
    if len(fields) != len(RECEIPT_LINES):
        continue
    for name in ("index", "time", "cost", "balance_after", "credited_total",
                 "spent_total"):
        if not DEC.fullmatch(fields[name]):
            fail(where, "%s is not decimal without a leading zero" % name)
    for name, n in HEXLINE.items():
        if not HEX.fullmatch(fields[name]) or len(fields[name]) != 2 + 2 * n:
            fail(where, "%s is not 0x + %d lowercase hex bytes" % (name, n))
    for name in ("gateway", "worker"):
        if not ADDR.fullmatch(fields[name]) or \
                eip55(bytes.fromhex(fields[name][2:])) != fields[name]:
            fail(where, "%s is not an EIP-55 address" % name)
    chunks = fields["chunks"].split(",") if fields["chunks"] else []
    if not all(DEC.fullmatch(c) for c in chunks) or \
            [int(c) for c in chunks] != sorted(set(int(c) for c in chunks)):
        fail(where, "chunks are not ascending decimals joined by ','")
    empty_chunks = empty_chunks or not chunks
    if hashlib.sha256(text.encode("utf-8")).digest() != e["hash"]:
        fail(where, "hash is not SHA-256 of text")
    if fields["index"] != str(last_index + 1):
        fail(where, "index is not %d (the entries are numbered from 1, "
             "in order)" % (last_index + 1))
    if fields["prev"] != "0x" + last_hash.hex():
        fail(where, "prev is not the hash of the entry before (32 zero "
             "bytes for the first)")
    last_hash, last_index = e["hash"], last_index + 1
    if DEC.fullmatch(fields["balance_after"]) and \
            int(fields["balance_after"]) != int(fields["credited_total"]) - \
            int(fields["spent_total"]):
        fail(where, "balance_after is not credited_total - spent_total")
    secret = int.from_bytes(e["gateway_private_key"], "big")
    if not 1 <= secret < N:
        fail(where, "gateway_private_key is not in [1, n)")
        continue
    if eip55(address_of(ec_mul(secret, G))) != fields["gateway"]:
        fail(where, "the gateway line is not the address of "
             "gateway_private_key")
    sig = e["signature"]
    h = personal_hash(text.encode("utf-8"))
    if sig[64] not in (27, 28):
        fail(where, "signature's v must be 27 + recovery id")
    elif sign(secret, h) != sig:
        fail(where, "signature is not the RFC 6979 low-s EIP-191 signature "
             "of text")
    else:
        q = recover(sig, h)
        if q is None or eip55(address_of(q)) != fields["gateway"]:
            fail(where, "the signer recovered from signature is not the "
                 "gateway")
if "receipts" in sections and not empty_chunks:
    fail("receipts", "has no entry with an empty chunks list")

# ---- abi (3.7): purchase calldata and decoded Purchased logs ---------------

# The surface of DESIGN.md 3.7, and the same surface read from the committed
# ABI JSON: the signatures hashed must be those of both.
PURCHASE_SIG = "purchase(bytes32,address,address,bytes32)"
WITHDRAW_SIG = "withdraw()"
PURCHASED_SIG = "Purchased(bytes32,address,address,address,uint256,bytes32)"
ABI_SCHEMAS = {
    "purchase": {"kind": "text", "function": "text", "selector": hexn(4),
                 "dataset_id": hexn(32), "owner": "addr", "worker": "addr",
                 "ref": hexn(32), "calldata": "hex"},
    "withdraw": {"kind": "text", "function": "text", "selector": hexn(4),
                 "calldata": "hex"},
    "purchased_log": {"kind": "text", "event": "text", "topics": "list",
                      "data": "hex", "dataset_id": hexn(32),
                      "worker": "addr", "payer": "addr", "owner": "addr",
                      "amount": "dec", "ref": hexn(32)},
}


def abi_signatures(path):
    """Canonical signatures of the functions and events of an ABI JSON."""
    with open(path, encoding="utf-8") as fh:
        abi = json.load(fh)
    out = {}
    for e in abi:
        if e.get("type") in ("function", "event") and "name" in e:
            types = ",".join(i["type"] for i in e.get("inputs", []))
            out[e["name"]] = "%s(%s)" % (e["name"], types)
    return out


def word(addr20):
    return bytes(12) + addr20


sigs = abi_signatures("contracts-abi/Market.abi.json")
for name, want in (("purchase", PURCHASE_SIG), ("withdraw", WITHDRAW_SIG),
                   ("Purchased", PURCHASED_SIG)):
    if sigs.get(name) != want:
        fail("contracts-abi/Market.abi.json", "%s is %r, DESIGN.md 3.7 has "
             "%r" % (name, sigs.get(name), want))
abi_entries = doc.get("abi")
abi_kinds = {}
if not isinstance(abi_entries, list):
    fail("abi", "must be a JSON array")
    abi_entries = []
for i, raw_e in enumerate(abi_entries):
    where = "abi[%d]" % i
    kind = raw_e.get("kind") if isinstance(raw_e, dict) else None
    if kind not in ABI_SCHEMAS:
        fail(where, "kind must be one of %s" % sorted(ABI_SCHEMAS))
        continue
    e = check_object(where, raw_e, ABI_SCHEMAS[kind])
    if e is None:
        continue
    abi_kinds[kind] = abi_kinds.get(kind, 0) + 1
    if kind in ("purchase", "withdraw"):
        sig = PURCHASE_SIG if kind == "purchase" else WITHDRAW_SIG
        if e["function"] != sig:
            fail(where, "function is not %r" % sig)
        if e["selector"] != keccak256(sig.encode())[:4]:
            fail(where, "selector is not keccak256(function)[:4]")
        want = e["selector"]
        if kind == "purchase":
            want += (e["dataset_id"] + word(e["owner"]) + word(e["worker"])
                     + e["ref"])
        if e["calldata"] != want:
            fail(where, "calldata is not the selector and the arguments as "
                 "32-byte words in purchase's order")
        continue
    if e["event"] != PURCHASED_SIG:
        fail(where, "event is not %r" % PURCHASED_SIG)
    topics = [check_value("%s.topics[%d]" % (where, j), hexn(32), t)
              for j, t in enumerate(e["topics"])]
    if len(topics) != 4 or any(t is None for t in topics):
        fail(where, "topics must be four 32-byte words")
        continue
    if topics[0] != keccak256(PURCHASED_SIG.encode()):
        fail(where, "topics[0] is not keccak256(event)")
    if topics[1:] != [e["dataset_id"], word(e["worker"]), word(e["payer"])]:
        fail(where, "topics[1..3] are not datasetId, worker, payer")
    if not e["amount"] < 2**128:
        fail(where, "amount must be below 2^128")
    if e["data"] != (word(e["owner"]) + e["amount"].to_bytes(32, "big")
                     + e["ref"]):
        fail(where, "data is not owner, amount, ref as 32-byte words")
for kind in ("purchase", "withdraw", "purchased_log"):
    if abi_kinds.get(kind, 0) < 1:
        fail("abi", "has no %r entry" % kind)
sections["abi"] = [(i, None) for i in range(sum(abi_kinds.values()))]

# ---- the worked examples of docs/PROTOCOL.md quote this file -------------

try:
    with open("docs/PROTOCOL.md", encoding="utf-8") as fh:
        manual = fh.read()
except OSError:
    manual = None
    fail("docs/PROTOCOL.md", "cannot be read")
if manual is not None:
    quoted = []
    rs = dict(sections.get("request_signatures", []))
    if 1 in rs:
        quoted += [("request_signatures[1].signature", rs[1]["signature"].hex()),
                   ("EIP-191 hash of request_signatures[1].message",
                    personal_hash(rs[1]["message"].encode()).hex())]
        quoted += [("request_signatures[1].message line %d" % (n + 1), line)
                   for n, line in enumerate(rs[1]["message"].split("\n"))]
    ob = dict(sections.get("objects", []))
    if 0 in ob:
        quoted.append(("objects[0] header", ob[0]["object_hex"][:36].hex()[:8]))
        quoted.append(("objects[0].nonce", ob[0]["object_hex"][24:36].hex()))
    rc = dict(sections.get("receipts", []))
    if 0 in rc and 1 in rc:
        quoted += [("receipts[0].hash", rc[0]["hash"].hex()),
                   ("receipts[0].signature r", rc[0]["signature"][:32].hex()),
                   ("receipts[0].signature s",
                    rc[0]["signature"][32:64].hex()),
                   ("EIP-191 hash of receipts[0].text",
                    personal_hash(rc[0]["text"].encode()).hex()),
                   ("receipts[1].hash", rc[1]["hash"].hex())]
        quoted += [("receipts[0].text line %d" % (n + 1), "    " + line + "\n")
                   for n, line in enumerate(rc[0]["text"].split("\n"))]
    ck = dict(sections.get("chunk_keys", []))
    if 0 in ck:
        quoted.append(("chunk_keys[0].ck", ck[0]["ck"].hex()))
    for what, needle in quoted:
        if needle not in manual:
            fail("docs/PROTOCOL.md", "its worked example no longer quotes %s "
                 "(%s...): update the example from the vectors" %
                 (what, needle[:16]))

for name, decoded in sections.items():
    print("ok: %s: %d entries decoded" % (name, len(decoded)))
print("skipped here: AES-256-GCM (not in Python's standard library); "
      "gen_vectors opens every object and wrap it prints, and "
      "test_vectors_node.sh every wrap")
if errors:
    for msg in errors:
        print("FAIL: " + msg)
    print("%d problem(s) in %s" % (len(errors), path))
    sys.exit(1)
print("ok: %s agrees with DESIGN.md 3.1-3.5, 3.8 and 3.10" % path)
PY
