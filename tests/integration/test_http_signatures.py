#!/usr/bin/env python3
"""Request signatures (DESIGN.md 3.1) against a live sluiced: every header
missing or malformed, high-s, each accepted v, r or s zero, the time window,
timestamp and nonce syntax, X-Sluice-Address, tampering with each signed
line (method, target, query, body, timestamp, nonce), a signature made by
Foundry's cast, and Content-Encoding. Every refusal is a 401 problem that
names the header at fault; every acceptance creates a draft (201)."""

import gzip
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

TS = "X-Sluice-Timestamp"
NONCE = "X-Sluice-Nonce"
SIG = "X-Sluice-Signature"
ADDR = "X-Sluice-Address"


def main():
    t = sh.Test("test_http_signatures")
    sh.selftest()
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    me = sh.Account()
    someone = sh.Account()
    body = json.dumps({"name": "sig test", "format": "csv"})

    def accepted(r, what):
        d = t.expect_json(r, 201, what)
        if d is not None:
            t.eq(d.get("owner"), me.address, "%s: owner is the signer" % what,
                 r)
        return d

    def refused(r, what, field, status=401):
        t.expect_problem(r, status, what, field)

    def create(**kw):
        return c.signed(me, "POST", "/v1/datasets", body, **kw)

    t.step("a well-formed signed create is accepted (201, owner = signer)")
    accepted(create(), "plain signed create")

    t.step("each of the three headers missing: 401 naming it")
    for h in (TS, NONCE, SIG):
        refused(create(omit=(h,)), "without %s" % h, h)
    refused(c.send("POST", "/v1/datasets", body), "unsigned create", TS)

    t.step("the signature header malformed: 401 naming it")
    good = create().prepared.header(SIG)   # a valid one, reused below
    for what, val in (
            ("bad hex digits", "0x" + "zz" * 65),
            ("no 0x", good[2:]),
            ("64 bytes (v missing)", good[:-2]),
            ("66 bytes", good + "00"),
            ("empty", ""),
            ("0x alone", "0x")):
        refused(create(signature=val), "signature %s" % what, SIG)

    t.step("high-s (s replaced by n - s, v flipped: it still recovers the "
           "signer) is 401")
    p = c.prepare(me, "POST", "/v1/datasets", body)
    sig = bytes.fromhex(p.header(SIG)[2:])
    hs = sh.high_s(sig)
    t.check(sh.recover_address(hs, sh.personal_hash(p.message)) == me.address,
            "the client's high-s twin should recover the same address")
    refused(create(sig_transform=sh.high_s), "high-s signature", SIG)

    t.step("v = 0, 1, 27 and 28 are accepted (both recovery ids); other v "
           "values are 401")
    by_recid = {}
    while len(by_recid) < 2:
        p = c.prepare(me, "POST", "/v1/datasets", body)
        s = bytes.fromhex(p.header(SIG)[2:])
        by_recid.setdefault(s[64] - 27, p)
    for recid, p in sorted(by_recid.items()):
        s = bytes.fromhex(p.header(SIG)[2:])
        for v in (recid, 27 + recid):
            q = c.prepare(me, "POST", "/v1/datasets", body,
                          nonce=p.nonce, timestamp=p.header(TS),
                          signature=sh.sig_hex(s[:64] + bytes([v])))
            # Same nonce, same request: the second v gets the replay of the
            # first answer, which is what a retry must get.
            accepted(c.send_prepared(q), "v = %d" % v)
        for v in (2, 3, 26, 29, 35, 255):
            refused(create(sig_transform=lambda x, v=v: x[:64] + bytes([v])),
                    "v = %d" % v, SIG)
    t.step("v of the wrong parity recovers another key: with "
           "X-Sluice-Address of the signer that is 401")
    refused(create(address=me.address,
                   sig_transform=lambda x: x[:64] + bytes([x[64] ^ 1 if
                                                          x[64] < 27 else
                                                          55 - x[64]])),
            "flipped v with X-Sluice-Address", ADDR)

    t.step("r or s zero, r or s >= n, the signature upper-case (accepted)")
    z = (0).to_bytes(32, "big")
    nn = sh.N.to_bytes(32, "big")
    for what, fx in (("r = 0", lambda x: z + x[32:]),
                     ("s = 0", lambda x: x[:32] + z + x[64:]),
                     ("r = n", lambda x: nn + x[32:]),
                     ("s = n", lambda x: x[:32] + nn + x[64:]),
                     ("all zero", lambda x: bytes(65))):
        refused(create(sig_transform=fx), "signature with %s" % what, SIG)
    p = c.prepare(me, "POST", "/v1/datasets", body)
    p.headers = [(k, "0x" + v[2:].upper() if k == SIG else v)
                 for k, v in p.headers]
    accepted(c.send_prepared(p), "signature in upper-case hex")

    t.step("the time window: 300 s either way is the limit (290 s accepted, "
           "301 s and more refused)")
    now = int(time.time())
    accepted(create(timestamp=now - 290), "timestamp 290 s old")
    accepted(create(timestamp=now + 290), "timestamp 290 s ahead")
    for what, ts in (("301 s old", now - 301), ("302 s ahead", now + 302),
                     ("a day old", now - 86400), ("zero", 0),
                     ("in the year 33658", 10**12),
                     ("beyond 64 bits", "9" * 25)):
        refused(create(timestamp=ts), "timestamp %s" % what, TS)

    t.step("timestamp syntax: leading zero, sign, fraction, spaces, empty "
           "(each signed as sent): 401")
    for ts in ("0%d" % now, "+%d" % now, "-%d" % now, "%d.0" % now,
               "%de0" % now, "0x%x" % now, "", "1 %d" % now):
        refused(create(timestamp=ts), "timestamp %r" % ts, TS)
    # Surrounding spaces may be stripped by the HTTP parser (RFC 9110
    # 5.5), after which the signature no longer matches the signed text.
    refused(create(timestamp="%d " % now, address=me.address),
            "timestamp with a trailing space", (TS, SIG, ADDR))

    t.step("nonce syntax: 16 and 64 characters of [A-Za-z0-9_-] accepted; 15, "
           "65 and other characters 401")
    accepted(create(nonce="a" * 15 + "Z"), "16-character nonce")
    accepted(create(nonce=sh.new_nonce(64)[:63] + "_"),
             "64-character nonce")
    accepted(create(nonce="-_" * 8), "nonce of - and _ only")
    for what, nonce in (("15 characters", "b" * 15),
                        ("65 characters", "c" * 65),
                        ("a dot", "abcdefgh.ijklmnop"),
                        ("an equals sign", "abcdefghijklmno="),
                        ("a space", "abcdefgh ijklmnop"),
                        ("a slash", "abcdefgh/ijklmnop"),
                        ("a plus", "abcdefgh+ijklmnop"),
                        ("empty", "")):
        refused(create(nonce=nonce), "nonce with %s" % what, NONCE)

    t.step("X-Sluice-Address: the signer's (EIP-55, lower, upper case) is "
           "accepted; another address or a bad checksum is 401")
    accepted(create(address=me.address), "X-Sluice-Address EIP-55")
    accepted(create(address=me.address.lower()), "X-Sluice-Address lower")
    accepted(create(address="0x" + me.address[2:].upper()),
             "X-Sluice-Address upper")
    refused(create(address=someone.address), "X-Sluice-Address of another",
            ADDR)
    # Flip the case of one letter of the checksum form: a bad checksum.
    a = me.address
    i = next(k for k in range(2, 42) if a[k].isalpha())
    bad = a[:i] + a[i].swapcase() + a[i + 1:]
    refused(create(address=bad), "X-Sluice-Address with a bad checksum",
            ADDR, status=(400, 401))
    refused(create(address="0x1234"), "X-Sluice-Address too short", ADDR,
            status=(400, 401))

    # A signature over other bytes is still a valid signature: recovery
    # yields some other key, so a tampered request can only ever act as a
    # stranger. With X-Sluice-Address the client makes the gateway check
    # who signed, and tampering is a 401.
    def tampered(what, method="POST", target="/v1/datasets", **kw):
        r = c.signed(me, method, target, body, address=me.address, **kw)
        refused(r, "%s (X-Sluice-Address given)" % what, ADDR)
        r = c.signed(me, method, target, body, **kw)
        if r.status == 201:
            t.check(r.json().get("owner") != me.address,
                    "%s: without X-Sluice-Address the request must not act "
                    "as the signer" % what, r)
        else:
            t.expect_problem(r, 401, "%s (no X-Sluice-Address)" % what)

    t.step("each signed line tampered with after signing: 401 when "
           "X-Sluice-Address names the signer, and never acts as the signer")
    tampered("body changed after signing",
             sign_body=body.replace("sig test", "sig tezt").encode())
    tampered("signed as PUT, sent as POST", sign_method="PUT")
    tampered("another timestamp signed",
             sign_timestamp=str(int(time.time()) - 1))
    tampered("another nonce signed", sign_nonce=sh.new_nonce())
    tampered("target with a different query string",
             target="/v1/datasets?x=2", sign_target="/v1/datasets?x=1")
    tampered("a bare ? sent but not signed", target="/v1/datasets?",
             sign_target="/v1/datasets")
    tampered("a bare ? signed but not sent", sign_target="/v1/datasets?")
    tampered("the query decoded differently", target="/v1/datasets?x=a+b",
             sign_target="/v1/datasets?x=a%20b")
    tampered("the path percent-encoded differently",
             target="/v1/datasets?p=/v1/datasets",
             sign_target="/v1/datasets?p=%2Fv1%2Fdatasets")
    t.step("the target is signed verbatim: a bare ? and percent-escapes as "
           "sent are accepted")
    accepted(c.signed(me, "POST", "/v1/datasets?", body), "bare ? signed")
    accepted(c.signed(me, "POST", "/v1/datasets?x=a%20b&y=%2F", body),
             "query with escapes signed verbatim")

    t.step("a signature made by Foundry's cast (cast wallet sign) verifies")
    cast = os.path.join("node_modules", ".bin", "cast")
    t.check(os.access(cast, os.X_OK), "%s is missing: run make bootstrap" %
            cast)
    p = c.prepare(me, "POST", "/v1/datasets", body)
    out = subprocess.run([cast, "wallet", "sign", "--private-key", me.key_hex,
                          p.message.decode()], capture_output=True, timeout=30)
    t.check(out.returncode == 0, "cast wallet sign exited %d: %s" %
            (out.returncode, out.stderr.decode(errors="replace")))
    cast_sig = out.stdout.decode().strip()
    t.eq(cast_sig, p.header(SIG), "cast's signature equals this client's "
         "(both RFC 6979)")
    p.headers = [(k, cast_sig if k == SIG else v) for k, v in p.headers]
    accepted(c.send_prepared(p), "request signed by cast")

    t.step("header names are case-insensitive")
    p = c.prepare(me, "POST", "/v1/datasets", body)
    p.headers = [(k.lower(), v) for k, v in p.headers]
    accepted(c.send_prepared(p), "lower-case header names")

    t.step("a header given twice is refused (401 or 400)")
    p = c.prepare(me, "POST", "/v1/datasets", body)
    p.headers.append((NONCE, sh.new_nonce()))
    refused(c.send_prepared(p), "X-Sluice-Nonce twice", NONCE,
            status=(400, 401))

    t.step("Content-Encoding: gzip is refused (the body as received is what "
           "was signed); identity is accepted")
    gz = gzip.compress(body.encode())
    r = c.signed(me, "POST", "/v1/datasets", gz,
                 headers={"Content-Encoding": "gzip"})
    t.expect_problem(r, (400, 401, 415), "Content-Encoding: gzip",
                     "Content-Encoding")
    accepted(c.signed(me, "POST", "/v1/datasets", body,
                      headers={"Content-Encoding": "identity"}),
             "Content-Encoding: identity")

    t.step("a signed GET route (the parts list) refuses a bad signature "
           "too; a good one from the owner works")
    ds = create().json()["id"]
    tgt = "/v1/datasets/%s/parts" % ds
    t.expect_json(c.signed(me, "GET", tgt), 200, "GET parts signed")
    refused(c.send("GET", tgt), "GET parts unsigned", TS)
    refused(c.signed(me, "GET", tgt, sign_target=tgt + "?",
                     address=me.address),
            "GET parts with a target not as signed", ADDR)
    t.expect_problem(c.signed(me, "GET", tgt, sign_target=tgt + "?"), 404,
                     "GET parts with a target not as signed, no address: "
                     "a stranger", "id")

    t.step("a refused request records nothing: its nonce still works after")
    n = sh.new_nonce()
    refused(create(nonce=n, sign_body=b"{}", address=me.address),
            "tampered body, nonce n", ADDR)
    accepted(create(nonce=n), "the same nonce, correctly signed")

    t.step("clients that hang up while their signature is being checked "
           "(off the event loop): the server stays up, and a retry of each "
           "is answered 201, whether the first went through or not")
    hung = []
    for _ in range(60):
        p = c.prepare(me, "POST", "/v1/datasets", body)
        head = "".join("%s: %s\r\n" % kv for kv in p.headers)
        c.raw(("POST /v1/datasets HTTP/1.1\r\nHost: x\r\n%s"
               "Content-Length: %d\r\n\r\n" % (head, len(p.body)))
              .encode() + p.body, read=False)
        hung.append(p)
    for p in hung[::10]:
        accepted(c.send_prepared(p), "the retry of a request hung up on")
    accepted(create(), "a new signed create after the hang-ups")
    t.finish()


if __name__ == "__main__":
    main()
