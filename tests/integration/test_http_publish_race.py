#!/usr/bin/env python3
"""Part writes racing publish, against a live sluiced (DESIGN.md 3.9;
issue 8, point 1).

Each round creates a data-set (blob, CSV or JSON Lines), uploads parts 1..k,
then fires many signed PUT .../parts/2 with different bodies, each on its
own connection, about a millisecond apart (pre-signed, so that only sending
is timed), with a POST .../publish among them at a varied position. Rounds
vary the number of PUTs, the body sizes (bytes to megabytes, every size
distinct so that a size names its body), k and the publish's position.

Checks, none of them on timing:
- every PUT is answered 200 or 409 (never 5xx), publish 202;
- a PUT sent after the 202 arrived is 409 (causality);
- the 202's progress.total (the bytes publish accepted) equals the sum of
  the parts that GET .../parts lists after publish, and that listing's
  part 2 is the body of a PUT answered 200 (or the part uploaded before):
  a PUT acknowledged after publish was accepted would change part 2's size;
- the data-set ends published, its progress total the same, and the
  listing stays the same after it is published;
- after the server stops: `sluiced export` of every data-set gives back
  exactly parts 1..k as listed, and `sluiced fsck` is clean.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

PLAN = {"kind": "metered", "unit_wei": "1000000000", "per_query": "1"}


def make_body(fmt, tag, size):
    """A part of exactly size bytes that keeps the format valid when parts
    are joined: whole lines for CSV and JSON Lines."""
    if fmt == "blob":
        head = ("[%s]" % tag).encode()
        return (head + os.urandom(size))[:size] if size >= len(head) else \
            os.urandom(size)
    if fmt == "csv":
        row = "%s,%d," % (tag, size)
        line_pad = size - len(row) - 1
        return (row + "x" * line_pad + "\n").encode()
    obj = '{"tag":"%s","pad":""}' % tag
    pad = size - len(obj) - 1
    return ('{"tag":"%s","pad":"%s"}\n' % (tag, "y" * pad)).encode()


def first_part(fmt, size):
    if fmt == "csv":
        head = b"tag,size,pad\n"
        return head + make_body(fmt, "p1", max(size, 20))
    return make_body(fmt, "p1", max(size, 40))


def fire(c, schedule):
    """Send each (at, prepared) at monotonic time `at` on its own thread.
    Returns [(prepared, sent_at, received_at, response)] in schedule
    order."""
    out = [None] * len(schedule)

    def one(i, at, p):
        now = time.monotonic()
        if at > now:
            time.sleep(at - now)
        sent = time.monotonic()
        r = c.send_prepared(p, timeout=120)
        out[i] = (p, sent, time.monotonic(), r)

    threads = [threading.Thread(target=one, args=(i, at, p))
               for i, (at, p) in enumerate(schedule)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return out


def run_round(t, c, owner, rng, rnd, fmt, nputs, sizes, k, pos):
    d, _ = sh.create_dataset(t, c, owner, {"name": "race %d" % rnd,
                                           "format": fmt, "price": PLAN},
                             "round %d: create" % rnd)
    ds = d["id"]
    base = {1: first_part(fmt, rng.randint(40, 5000))}
    for n in range(2, k + 1):
        base[n] = make_body(fmt, "base%d" % n, rng.randint(41, 3000) * 2 + 1)
    for n in sorted(base):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n),
                     base[n])
        t.expect_json(r, 200, "round %d: PUT part %d before the race" %
                      (rnd, n))
    bodies = [make_body(fmt, "r%dput%d" % (rnd, i), sizes[i])
              for i in range(nputs)]
    by_sha = {hashlib.sha256(b).hexdigest(): b for b in bodies}
    for n, b in base.items():
        by_sha[hashlib.sha256(b).hexdigest()] = b
    reqs = [c.prepare(owner, "PUT", "/v1/datasets/%s/parts/2" % ds, b)
            for b in bodies]
    pub = c.prepare(owner, "POST", "/v1/datasets/%s/publish" % ds)
    reqs.insert(pos, pub)
    gap = rng.choice([0.0005, 0.001, 0.001, 0.0015])
    t0 = time.monotonic() + 0.05
    schedule = [(t0 + i * gap * rng.uniform(0.7, 1.3), p)
                for i, p in enumerate(reqs)]
    schedule.sort(key=lambda x: x[0])
    results = fire(c, schedule)

    pub_res = next(x for x in results if x[0] is pub)
    t.hush += 1
    pd = t.expect_json(pub_res[3], 202, "round %d: publish" % rnd)
    t.hush -= 1
    accepted_at = pub_res[2]
    total = pd["progress"]["total"]
    ok_shas = set()
    n200 = n409 = 0
    for p, sent, _, r in results:
        if p is pub:
            continue
        t.check(r.status in (200, 409), "round %d: a racing PUT is answered "
                "200 or 409, got %s" % (rnd, r.status), r)
        if r.status == 200:
            n200 += 1
            ok_shas.add(r.json()["sha256"][2:])
            t.check(sent < accepted_at, "round %d: a PUT sent after publish "
                    "was answered 202 got 200" % rnd, r)
        else:
            n409 += 1
            t.expect_problem(r, 409, "round %d: a PUT after publish" % rnd,
                             field="state")
    t.step("round %d (%s, %d PUTs of %d to %d bytes, k=%d, publish %d-th): "
           "%d answered 200, %d answered 409" %
           (rnd, fmt, nputs, min(sizes), max(sizes), k, pos + 1, n200, n409))

    r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % ds)
    listed = t.expect_json(r, 200, "round %d: GET parts after publish" %
                           rnd)["parts"]
    t.eq([p["n"] for p in listed], list(range(1, k + 1)),
         "round %d: parts listed" % rnd, r)
    t.eq(sum(p["bytes"] for p in listed), total, "round %d: the bytes "
         "listed after publish are the bytes publish accepted (202's "
         "progress.total)" % rnd, r)
    p2 = listed[1]["sha256"][2:]
    t.check(p2 in ok_shas or p2 == hashlib.sha256(base[2]).hexdigest(),
            "round %d: the part 2 listed is one acknowledged 200" % rnd, r)
    for p in listed:
        t.check(p["sha256"][2:] in by_sha and
                len(by_sha[p["sha256"][2:]]) == p["bytes"],
                "round %d: part %d listed is a body that was sent" %
                (rnd, p["n"]), r)

    v = sh.wait_published(t, c, owner, ds, timeout=120,
                          what="round %d" % rnd)
    t.eq(v["progress"]["total"], total, "round %d: progress total once "
         "published" % rnd)
    r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % ds)
    t.eq(t.expect_json(r, 200, "round %d: GET parts once published" %
                       rnd)["parts"], listed,
         "round %d: the listing once published" % rnd, r)
    # A PUT after publishing is 409 too, on every part number.
    for n in (1, 2, k + 1):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n),
                     b"late")
        t.expect_problem(r, 409, "round %d: PUT part %d once published" %
                         (rnd, n), field="state")
    want = b"".join(by_sha[p["sha256"][2:]] for p in listed)
    return ds, want


def main():
    t = sh.Test("test_http_publish_race")
    rng = random.Random(int(os.environ.get("SLUICE_TEST_SEED", "0")) or None)
    srv = sh.Server(t, "gw", args=["--publish-threads", "2"]).start()
    c = sh.Client(srv)
    owner = sh.Account()
    rounds = [
        # fmt, PUTs, size range, k, publish position (fraction)
        ("blob", 24, (1000, 400000), 2, 0.5),
        ("csv", 40, (50, 20000), 3, 0.25),
        ("blob", 16, (200000, 3000000), 2, 0.75),
        ("jsonl", 30, (30, 60000), 4, 0.1),
        ("blob", 48, (10, 2000), 2, 0.9),
        ("csv", 20, (100000, 1500000), 2, 0.4),
        ("blob", 12, (500000, 2500000), 3, 1.0),
        ("jsonl", 36, (2000, 200000), 2, 0.6),
    ]
    want = {}
    for rnd, (fmt, nputs, (lo, hi), k, frac) in enumerate(rounds, 1):
        sizes = rng.sample(range(lo, hi), nputs)
        pos = max(1, min(nputs - 1, int(nputs * frac) +
                         rng.randint(-2, 2)))
        ds, data = run_round(t, c, owner, rng, rnd, fmt, nputs, sizes, k,
                             pos)
        want[ds] = data

    t.step("stop the server; `sluiced export` of each data-set gives parts "
           "1..k as listed; `sluiced fsck` is clean")
    srv.stop()
    for ds, data in want.items():
        outp = os.path.join(srv.dir, "export.bin")
        p = subprocess.run([t.sluiced, "export", "--data-dir", srv.data_dir,
                            "-o", outp, ds], capture_output=True)
        t.check(p.returncode == 0, "export of %s exited %d: %s" %
                (ds, p.returncode, p.stderr.decode(errors="replace")))
        with open(outp, "rb") as fh:
            got = fh.read()
        t.check(got == data, "export of %s (%d bytes) is not the parts "
                "listed (%d bytes)" % (ds, len(got), len(data)))
    p = subprocess.run([t.sluiced, "fsck", "--data-dir", srv.data_dir],
                       capture_output=True)
    t.check(p.returncode == 0, "fsck exited %d: %s %s" %
            (p.returncode, p.stdout.decode(errors="replace"),
             p.stderr.decode(errors="replace")))
    t.finish()


if __name__ == "__main__":
    main()
