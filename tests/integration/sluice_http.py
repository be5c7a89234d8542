"""sluice_http: an independent client of sluiced's HTTP protocol v1, for tests.

Written from the design handbook (DESIGN.md 3.1, 3.2, 3.4, 3.9), not from
the C code, so that the live-binary tests in tests/integration/ check the
server against the protocol rather than against itself. Python 3 standard
library only.

What is here:
  keccak256(data)                 Ethereum's Keccak-256 (pad 0x01 .. 0x80)
  Account(private_key)            a secp256k1 key: address, EIP-55, RFC 6979
                                  signatures (low-s, v = 27 + recovery id)
  personal_hash(msg)              the EIP-191 personal message digest
  recover_address(sig, digest)    the signer of a 65-byte signature
  request_message(...)            the six-line text of DESIGN.md 3.1
  Server(test, ...)               sluiced on 127.0.0.1 port 0 in a fresh
                                  temp dir: start, stop by pid (SIGTERM),
                                  kill -9, restart, sanitizer check
  Client(server)                  plain and signed requests, with knobs to
                                  tamper with every signed part
  Test(name)                      steps, checks and the problem+json shape

Failing checks end the run with a message; set SLUICE_HTTP_KEEP_GOING=1 to
record every failure and go on (the run still exits 1 at the end), and
SLUICE_HTTP_QUIET=1 to print only the steps, not every request's check.
"""

import atexit
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------------------
# Keccak-256 (the original Keccak padding that Ethereum uses, not SHA3-256)

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A,
    0x8000000080008000, 0x000000000000808B, 0x0000000080000001,
    0x8000000080008081, 0x8000000000008009, 0x000000000000008A,
    0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080,
    0x000000000000800A, 0x800000008000000A, 0x8000000080008081,
    0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
# Rotation of lane (x, y), stored at x + 5y.
_ROT = [0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14]
# Where rho-pi moves lane (x, y): to (y, 2x + 3y).
_PI = [(y + 5 * ((2 * x + 3 * y) % 5)) for y in range(5) for x in range(5)]
_PI_SRC = [x + 5 * y for y in range(5) for x in range(5)]
_M64 = (1 << 64) - 1


def _keccak_f(a):
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]
             for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) |
                                (c[(x + 1) % 5] >> 63)) & _M64)
             for x in range(5)]
        b = [0] * 25
        for src, dst in zip(_PI_SRC, _PI):
            v = a[src] ^ d[src % 5]
            r = _ROT[src]
            b[dst] = ((v << r) | (v >> (64 - r))) & _M64 if r else v
        a = [b[i] ^ (~b[(i + 1) % 5 + i - i % 5] & b[(i + 2) % 5 + i - i % 5])
             for i in range(25)]
        a[0] ^= rc
    return a


def keccak256(data):
    """Return the 32-byte Keccak-256 digest of data (bytes)."""
    rate = 136
    msg = bytearray(data)
    msg.append(0x01)
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [0] * 25
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            a[i] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i].to_bytes(8, "little") for i in range(4))


# ---------------------------------------------------------------------------
# secp256k1 (affine, not constant time: a test client only)

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _ec_add(p1, p2):
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


def _ec_mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = _ec_add(acc, pt)
        pt = _ec_add(pt, pt)
        k >>= 1
    return acc


_G_DOUBLINGS = []


def _g_mul(k):
    """k * G from a table of 2^i * G (halves the work of signing)."""
    if not _G_DOUBLINGS:
        pt = G
        for _ in range(256):
            _G_DOUBLINGS.append(pt)
            pt = _ec_add(pt, pt)
    acc = None
    i = 0
    while k:
        if k & 1:
            acc = _ec_add(acc, _G_DOUBLINGS[i])
        k >>= 1
        i += 1
    return acc


def address_of_point(pt):
    """The 20-byte Ethereum address of public point pt."""
    return keccak256(pt[0].to_bytes(32, "big") +
                     pt[1].to_bytes(32, "big"))[12:]


def eip55(addr20):
    """The EIP-55 mixed-case text of a 20-byte address."""
    low = addr20.hex()
    h = keccak256(low.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8
                          else c for i, c in enumerate(low))


def personal_hash(msg):
    """EIP-191: keccak256("\\x19Ethereum Signed Message:\\n" + len + msg)."""
    if isinstance(msg, str):
        msg = msg.encode("utf-8")
    return keccak256(b"\x19Ethereum Signed Message:\n" +
                     str(len(msg)).encode() + msg)


def _rfc6979_k(secret, h):
    """RFC 6979 nonce over HMAC-SHA256 (what libsecp256k1 and cast use)."""
    x = secret.to_bytes(32, "big")
    h1 = (int.from_bytes(h, "big") % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        cand = int.from_bytes(v, "big")
        if 1 <= cand < N:
            return cand
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def recover_point(sig, digest):
    """The public point that signed digest, or None. v may be 0/1/27/28."""
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    v = sig[64]
    recid = v - 27 if v >= 27 else v
    if not (1 <= r < N and 1 <= s < N) or recid not in (0, 1, 2, 3):
        return None
    x = r + (N if recid & 2 else 0)
    if x >= P:
        return None
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P:
        return None
    if (y & 1) != (recid & 1):
        y = P - y
    z = int.from_bytes(digest, "big")
    rinv = pow(r, -1, N)
    return _ec_add(_ec_mul(s * rinv % N, (x, y)), _ec_mul((-z * rinv) % N, G))


def recover_address(sig, digest):
    """The EIP-55 address that made sig over digest, or None."""
    pt = recover_point(sig, digest)
    return eip55(address_of_point(pt)) if pt else None


class Account:
    """An Ethereum account: a secp256k1 private key and its address."""

    def __init__(self, private_key=None):
        if private_key is None:
            private_key = secrets.randbelow(N - 1) + 1
        if isinstance(private_key, str):
            private_key = int(private_key, 16)
        if isinstance(private_key, (bytes, bytearray)):
            private_key = int.from_bytes(private_key, "big")
        if not 1 <= private_key < N:
            raise ValueError("private key out of range")
        self.key = private_key
        self.point = _g_mul(private_key)
        self.address20 = address_of_point(self.point)
        self.address = eip55(self.address20)   # EIP-55 text

    @property
    def key_hex(self):
        return "0x" + self.key.to_bytes(32, "big").hex()

    def sign_digest_parts(self, digest):
        """Return (r, s, recid) with low s."""
        k = _rfc6979_k(self.key, digest)
        rp = _g_mul(k)
        r = rp[0] % N
        recid = (rp[1] & 1) | (2 if rp[0] >= N else 0)
        s = pow(k, -1, N) * (int.from_bytes(digest, "big") + r * self.key) % N
        if s > N // 2:
            s = N - s
            recid ^= 1
        return r, s, recid

    def sign_digest(self, digest):
        """65 bytes r || s || v, v = 27 + recovery id."""
        r, s, recid = self.sign_digest_parts(digest)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + \
            bytes([27 + recid])

    def sign_personal(self, msg):
        return self.sign_digest(personal_hash(msg))


def sig_hex(sig):
    return "0x" + bytes(sig).hex()


def high_s(sig):
    """The same signature with s replaced by n - s and v's parity flipped:
    mathematically valid (it recovers the same key) but high-s."""
    s = int.from_bytes(sig[32:64], "big")
    v = sig[64]
    base = 27 if v >= 27 else 0
    return sig[:32] + (N - s).to_bytes(32, "big") + \
        bytes([base + ((v - base) ^ 1)])


# ---------------------------------------------------------------------------
# DESIGN.md 3.1: the canonical request text

REQUEST_FIRST_LINE = "sluice-request-v1"


def body_sha256_hex(body):
    return hashlib.sha256(body or b"").hexdigest()


def request_message(method, target, body, timestamp, nonce):
    """The six lines joined by LF, no trailing newline, as bytes (UTF-8)."""
    text = "\n".join([REQUEST_FIRST_LINE, method, target,
                      body_sha256_hex(body), str(timestamp), nonce])
    return text.encode("utf-8")


def new_nonce(n=24):
    """A fresh nonce of [A-Za-z0-9_-] (token_urlsafe uses that alphabet)."""
    return secrets.token_urlsafe(n)[:max(16, min(64, n))]


# Self-checks against published values before anything trusts this module.
assert keccak256(b"").hex() == \
    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert keccak256(b"abc").hex() == \
    "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def selftest(vectors_path="docs/vectors/v1.json"):
    """Check this client against fixed published values and, when present,
    the request-signature vectors of docs/vectors/v1.json. Returns the
    number of vectors checked."""
    # Anvil's first account (a value published by Foundry).
    acct = Account("ac0974bec39a17e36ba4a6b4d238ff94"
                   "4bacb478cbed5efcae784d7bf4f2ff80")
    assert acct.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", \
        acct.address
    # EIP-55's own examples.
    for a in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
              "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
              "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
              "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert eip55(bytes.fromhex(a[2:])) == a, a
    n = 0
    if vectors_path and os.path.exists(vectors_path):
        with open(vectors_path) as fh:
            doc = json.load(fh)
        for v in doc.get("keccak256", []):
            got = "0x" + keccak256(bytes.fromhex(v["input_hex"][2:])).hex()
            assert got == v["digest"], v["input_hex"][:40]
            n += 1
        for v in doc.get("request_signatures", []):
            a = Account(v["private_key"])
            body = bytes.fromhex(v["body_hex"][2:])
            msg = request_message(v["method"], v["target"], body,
                                  v["timestamp"], v["nonce"])
            assert msg.decode() == v["message"], v["nonce"]
            assert sig_hex(a.sign_personal(msg)) == v["signature"], v["nonce"]
            assert a.address == v["address"], v["nonce"]
            n += 1
    return n


# ---------------------------------------------------------------------------
# Checks and reporting

KEEP_GOING = os.environ.get("SLUICE_HTTP_KEEP_GOING", "") not in ("", "0")
# Each request's check is printed ("    ok  what: HTTP 201") unless
# SLUICE_HTTP_QUIET is set; steps are always printed.
VERBOSE = os.environ.get("SLUICE_HTTP_QUIET", "") in ("", "0")


class Test:
    """One test program: prints each step, fails on the first bad check
    (or records it under SLUICE_HTTP_KEEP_GOING), cleans up at exit."""

    def __init__(self, name):
        self.name = name
        self.failures = 0
        self.hush = 0       # > 0: do not print each passing request
        self.servers = []
        self.sluiced = os.environ.get("SLUICED", "")
        if not self.sluiced or not os.access(self.sluiced, os.X_OK):
            print("FAIL [%s]: set SLUICED to the absolute path of an "
                  "executable sluiced (got %r)" % (name, self.sluiced),
                  file=sys.stderr)
            sys.exit(1)
        self.tmp = tempfile.mkdtemp(prefix="sluice-%s." % name,
                                    dir=os.environ.get("TMPDIR"))
        atexit.register(self._cleanup)
        self.t0 = time.monotonic()

    def _cleanup(self):
        for s in self.servers:
            s.kill_quietly()
        if os.environ.get("KEEP_TMP"):
            print("kept %s" % self.tmp, file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def step(self, msg):
        print("[%s %5.1fs] %s" % (self.name, time.monotonic() - self.t0, msg),
              flush=True)

    def fail(self, msg, resp=None):
        self.failures += 1
        if not KEEP_GOING:
            # The servers' last log lines first, so that the failure itself
            # ends the output (tests/run.sh shows a log's last lines).
            for s in self.servers:
                s.print_stderr_tail(12)
        print("FAIL [%s]: %s" % (self.name, msg), file=sys.stderr, flush=True)
        if resp is not None:
            print("  got: %s" % resp.describe(), file=sys.stderr, flush=True)
        if not KEEP_GOING:
            raise SystemExit(1)

    def check(self, cond, msg, resp=None):
        if not cond:
            self.fail(msg, resp)
        return cond

    def eq(self, got, want, what, resp=None):
        return self.check(got == want, "%s: expected %r, got %r" %
                          (what, want, got), resp)

    def expect(self, resp, status, what):
        """Check resp.status == status (or is in status, a tuple)."""
        ok = resp.status in status if isinstance(status, tuple) \
            else resp.status == status
        if ok and VERBOSE and not self.hush:
            print("    ok  %s: HTTP %s" % (what, resp.status), flush=True)
        self.check(ok, "%s: expected HTTP %s, got %s" %
                   (what, status, resp.status), resp)
        return resp

    def expect_json(self, resp, status, what):
        self.expect(resp, status, what)
        ctype = resp.header("Content-Type") or ""
        self.check(ctype.split(";")[0].strip() == "application/json",
                   "%s: Content-Type should be application/json, is %r" %
                   (what, ctype), resp)
        try:
            return resp.json()
        except ValueError:
            self.fail("%s: the body is not JSON" % what, resp)
            return None

    def expect_problem(self, resp, status, what, field=None):
        """Check an RFC 9457 problem: application/problem+json with type,
        title, status (= the HTTP status), detail, and field naming the
        member at fault (header names compare case-insensitively)."""
        self.expect(resp, status, what)
        ctype = resp.header("Content-Type") or ""
        self.check(ctype.split(";")[0].strip() == "application/problem+json",
                   "%s: a problem must be application/problem+json, got "
                   "Content-Type %r" % (what, ctype), resp)
        try:
            doc = resp.json()
        except ValueError:
            self.fail("%s: the problem body is not JSON" % what, resp)
            return {}
        if not isinstance(doc, dict):
            self.fail("%s: the problem body is not a JSON object" % what, resp)
            return {}
        for k in ("type", "title", "detail"):
            self.check(isinstance(doc.get(k), str) and doc.get(k) != "",
                       "%s: the problem needs a non-empty string %r" %
                       (what, k), resp)
        self.check(doc.get("status") == resp.status and
                   type(doc.get("status")) is int,
                   "%s: the problem's status member should be the integer "
                   "%d" % (what, resp.status), resp)
        if field is not None:
            got = doc.get("field")
            fields = field if isinstance(field, tuple) else (field,)
            ok = isinstance(got, str) and any(
                got == f or (f.lower().startswith(("x-", "content-")) and
                             got.lower() == f.lower()) for f in fields)
            self.check(ok, "%s: the problem should name field %s, names %r" %
                       (what, " or ".join(map(repr, fields)), got), resp)
        return doc

    def finish(self):
        for s in self.servers:
            if s.proc is not None and s.proc.poll() is None:
                s.stop()
            s.check_sanitizer()
        if self.failures:
            print("FAIL [%s]: %d check(s) failed (above)" %
                  (self.name, self.failures), file=sys.stderr)
            sys.exit(1)
        self.step("ok (%.1fs)" % (time.monotonic() - self.t0))


# ---------------------------------------------------------------------------
# The server under test

SANITIZER_RE = re.compile(r"(==[0-9]+==ERROR|ERROR: AddressSanitizer|"
                          r"ERROR: LeakSanitizer|runtime error:|"
                          r"WARNING: ThreadSanitizer)")
LISTEN_RE = re.compile(rb"sluiced: listening on http://127\.0\.0\.1:([0-9]+)")


def describe_exit(rc):
    """'exited N' or 'was killed by SIGNAME' for a Popen return code."""
    if rc is None:
        return "did not exit"
    if rc < 0:
        try:
            return "was killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "was killed by signal %d" % -rc
    return "exited %d" % rc


class Server:
    """sluiced serve on 127.0.0.1 port 0, in its own folder of test.tmp.
    The data dir persists across restart(); every run has its own logs.
    rate_limit (default 0: off) is passed as --rate-limit unless args hold
    one; None leaves the gateway's default."""

    def __init__(self, test, name="gw", args=(), data_dir=None,
                 web_dir=None, rate_limit=0):
        self.test = test
        self.name = name
        self.dir = os.path.join(test.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.web_dir = web_dir
        self.args = list(args)
        # Tests send hundreds of requests a second from one address: the
        # per-address rate limit is off unless a test is about it.
        if rate_limit is not None and not any(
                a.startswith("--rate-limit") for a in self.args):
            self.args += ["--rate-limit", str(rate_limit)]
        self.proc = None
        self.port = None
        self.runs = 0
        self.logs = []   # (stdout path, stderr path) of each run
        test.servers.append(self)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=30):
        self.runs += 1
        out = os.path.join(self.dir, "run%d.out" % self.runs)
        err = os.path.join(self.dir, "run%d.err" % self.runs)
        self.logs.append((out, err))
        cmd = [self.test.sluiced, "serve", "--listen", "127.0.0.1:0",
               "--data-dir", self.data_dir,
               "--web-dir", self.web_dir or os.path.join(self.dir, "noweb")]
        cmd += self.args
        env = dict(os.environ)
        # ASan holds freed memory in a quarantine (256 MB by default) before
        # reusing it: a test that measures the server's RSS would measure
        # the quarantine. 8 MB still catches a use after free of anything
        # freed lately.
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1:"
                       "quarantine_size_mb=8")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        with open(out, "wb") as fo, open(err, "wb") as fe:
            self.proc = subprocess.Popen(cmd, stdout=fo, stderr=fe,
                                         stdin=subprocess.DEVNULL,
                                         cwd=self.dir, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(out, "rb") as fh:
                m = LISTEN_RE.search(fh.read())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                self.print_stderr_tail()
                self.test.fail("sluiced (%s) exited %d before listening: %s" %
                               (self.name, self.proc.returncode,
                                " ".join(cmd)))
                return self
            time.sleep(0.02)
        self.test.fail("sluiced (%s) printed no 'listening' line in %ds" %
                       (self.name, timeout))
        return self

    def restart(self):
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        return self.start()

    def stderr_text(self, run=None):
        if not self.logs:
            return ""
        path = self.logs[(run or self.runs) - 1][1]
        try:
            with open(path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def print_stderr_tail(self, lines=25):
        text = self.stderr_text()
        if text:
            tail = text.splitlines()[-lines:]
            print("--- last lines of sluiced (%s) stderr, run %d ---" %
                  (self.name, self.runs), file=sys.stderr)
            for line in tail:
                print("  | " + line, file=sys.stderr)

    def check_sanitizer(self):
        for i in range(1, self.runs + 1):
            text = self.stderr_text(i)
            if SANITIZER_RE.search(text):
                print(text, file=sys.stderr)
                self.test.fail("sanitizer report in the stderr of sluiced "
                               "(%s), run %d" % (self.name, i))

    def stop(self, timeout=30, expect_rc=0):
        """SIGTERM by pid, wait, check the exit status and the sanitizer."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.test.fail("sluiced (%s) did not stop within %ds of SIGTERM" %
                           (self.name, timeout))
            rc = None
        self.check_sanitizer()
        if expect_rc is not None and rc != expect_rc:
            self.print_stderr_tail()
            self.test.fail("sluiced (%s) %s after SIGTERM, expected exit "
                           "status %d" % (self.name, describe_exit(rc),
                                          expect_rc))
        return rc

    def check_alive(self, what):
        """Fail unless the process still runs (e.g. after abuse)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.print_stderr_tail()
            self.test.fail("sluiced (%s) is gone after %s: %s" %
                           (self.name, what,
                            describe_exit(self.proc.returncode)))
            return False
        return True

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.check_sanitizer()

    def kill_quietly(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def db(self):
        """A read-only SQLite connection to the data dir's database."""
        import sqlite3
        return sqlite3.connect("file:%s?mode=ro" %
                               os.path.join(self.data_dir, "sluice.db"),
                               uri=True, timeout=10)


# ---------------------------------------------------------------------------
# Requests

class Response:
    def __init__(self, status, reason, headers, body, error=None):
        self.status = status
        self.reason = reason
        self.headers = headers          # [(name, value)] as received
        self.body = body
        self.error = error              # a transport error, or None
        self.nonce = None
        self.prepared = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def describe(self):
        if self.error is not None:
            return "no answer (%s)" % self.error
        hs = ", ".join("%s: %s" % kv for kv in self.headers
                       if kv[0].lower() in ("content-type", "allow",
                                            "retry-after", "location",
                                            "content-range", "etag"))
        body = self.body[:600].decode("utf-8", "replace")
        return "HTTP %s [%s] %s" % (self.status, hs, body)


class Prepared:
    """A request ready to send, byte for byte the same each time."""

    def __init__(self, method, target, body, headers):
        self.method = method
        self.target = target
        self.body = body
        self.headers = headers   # [(name, value)]

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Client:
    def __init__(self, server_or_port, host="127.0.0.1", timeout=30):
        self.server = server_or_port if isinstance(server_or_port, Server) \
            else None
        self._port = None if self.server else int(server_or_port)
        self.host = host
        self.timeout = timeout

    @property
    def port(self):
        return self.server.port if self.server else self._port

    # -- plain ------------------------------------------------------------
    def send(self, method, target, body=b"", headers=(), timeout=None):
        """Send one request on a fresh connection; target goes out exactly
        as given. A Content-Length is sent when there is a body or the
        method is POST/PUT (unless headers give one)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = list(headers.items()) if isinstance(headers, dict) \
            else list(headers)
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout or self.timeout)
        try:
            conn.putrequest(method, target, skip_host=True,
                            skip_accept_encoding=True)
            names = {k.lower() for k, _ in headers}
            if "host" not in names:
                conn.putheader("Host", "%s:%d" % (self.host, self.port))
            for k, v in headers:
                conn.putheader(k, v)
            if "content-length" not in names and \
                    (body or method in ("POST", "PUT", "PATCH")):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.getheaders(), data)
        except (OSError, http.client.HTTPException) as e:
            return Response(None, None, [], b"", error=repr(e))
        finally:
            conn.close()

    def get(self, target, headers=()):
        return self.send("GET", target, headers=headers)

    # -- signed -----------------------------------------------------------
    @staticmethod
    def prepare(account, method, target, body=b"", *, nonce=None,
                timestamp=None, sign_method=None, sign_target=None,
                sign_body=None, sign_timestamp=None, sign_nonce=None,
                signature=None, sig_transform=None, omit=(), address=None,
                headers=()):
        """Build a signed request (DESIGN.md 3.1). Every part can be
        tampered with: sign_* replace what goes into the signed text (the
        request still carries the real values), signature replaces the
        header's text outright, sig_transform(sig65) -> bytes alters the
        signature before it is written, omit drops named headers, and
        address sends X-Sluice-Address."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        nonce = new_nonce() if nonce is None else nonce
        timestamp = str(int(time.time())) if timestamp is None \
            else str(timestamp)
        msg = request_message(
            sign_method or method,
            sign_target if sign_target is not None else target,
            sign_body if sign_body is not None else body,
            sign_timestamp if sign_timestamp is not None else timestamp,
            sign_nonce if sign_nonce is not None else nonce)
        if signature is None:
            sig = account.sign_personal(msg)
            if sig_transform is not None:
                sig = sig_transform(sig)
            signature = sig_hex(sig)
        hs = [("X-Sluice-Timestamp", timestamp), ("X-Sluice-Nonce", nonce),
              ("X-Sluice-Signature", signature)]
        if address is not None:
            hs.append(("X-Sluice-Address", address))
        omit_l = {o.lower() for o in omit}
        hs = [(k, v) for k, v in hs if k.lower() not in omit_l]
        hs += list(headers.items()) if isinstance(headers, dict) \
            else list(headers)
        p = Prepared(method, target, body, hs)
        p.message = msg
        p.nonce = nonce
        return p

    def send_prepared(self, p, timeout=None):
        r = self.send(p.method, p.target, p.body, p.headers, timeout=timeout)
        r.prepared = p
        r.nonce = p.nonce
        return r

    def signed(self, account, method, target, body=b"", **kw):
        return self.send_prepared(self.prepare(account, method, target, body,
                                               **kw))

    # -- raw socket ------------------------------------------------------
    def raw(self, data, timeout=10, read=True):
        """Send raw bytes on a fresh connection; return what comes back
        until the server closes (or the timeout)."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            s.sendall(data)
            if not read:
                return b""
            chunks = []
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
            except (socket.timeout, ConnectionResetError):
                pass
            return b"".join(chunks)
        finally:
            s.close()


def parse_raw_response(data):
    """Split raw HTTP/1.1 bytes into (status, headers, body)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] ([0-9]{3})", lines[0]) if lines else None
    status = int(m.group(1)) if m else None
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return Response(status, "", headers, body)


# ---------------------------------------------------------------------------
# Owner helpers shared by the tests

METERED = {"kind": "metered", "unit_wei": "1000000000", "per_query": "10",
           "per_chunk": "5"}


def create_dataset(test, client, owner, doc, what="create a data-set"):
    r = client.signed(owner, "POST", "/v1/datasets", json.dumps(doc))
    d = test.expect_json(r, 201, what)
    return d, r


def upload_parts(test, client, owner, ds_id, parts, what="upload"):
    for i, data in enumerate(parts, 1):
        r = client.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" %
                          (ds_id, i), data)
        test.expect_json(r, 200, "%s: PUT part %d" % (what, i))


def wait_published(test, client, owner, ds_id, timeout=30, what="publish"):
    """Poll GET /v1/datasets/<id> (signed by the owner) until published."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        r = client.signed(owner, "GET", "/v1/datasets/%s" % ds_id)
        test.hush += 1
        d = test.expect_json(r, 200, "%s: poll the data-set" % what)
        test.hush -= 1
        if d is None:
            return None
        if not seen or seen[-1] != d.get("state"):
            seen.append(d.get("state"))
        if d.get("state") == "published":
            test.step("  %s: states seen while polling: %s" %
                      (what, " -> ".join(seen)))
            return d
        if d.get("state") == "failed":
            test.fail("%s: the data-set failed: %r" % (what, d.get("reason")),
                      r)
            return d
        if time.monotonic() > deadline:
            test.fail("%s: still %s after %ds (states seen: %s)" %
                      (what, d.get("state"), timeout, seen), r)
            return d
        time.sleep(0.05)


def publish_dataset(test, client, owner, doc, data, nparts=1,
                    what="publish"):
    """Create, upload data in nparts parts, publish, wait. Returns the
    published view."""
    d, _ = create_dataset(test, client, owner, doc, "%s: create" % what)
    step = max(1, -(-len(data) // nparts))
    parts = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
    upload_parts(test, client, owner, d["id"], parts, what)
    r = client.signed(owner, "POST", "/v1/datasets/%s/publish" % d["id"])
    test.expect_json(r, 202, "%s: POST publish" % what)
    return wait_published(test, client, owner, d["id"], what=what)


def paid_dataset(test, name="gw", args=()):
    """A gateway (not started yet: the caller gives it its chain flags and
    starts it) whose data dir holds one published data-set with a metered
    plan (unit_wei 1 gwei), its owner an Account. For the chain tests and
    benchmarks, whose purchases need a data-set the gateway knows before it
    follows the chain. Returns (server, owner, data-set view)."""
    srv = Server(test, name, args=args).start()
    owner = Account()
    ds = publish_dataset(test, Client(srv), owner,
                         {"name": "paid", "format": "csv", "price": METERED},
                         b"a\n1\n")
    srv.stop()
    return srv, owner, ds
