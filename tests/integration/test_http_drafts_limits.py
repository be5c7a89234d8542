#!/usr/bin/env python3
"""Limits on drafts (issue 8, point 6), against a live sluiced with small
settings:

- max_drafts_per_owner: an address holding that many data-sets that are
  not published gets 429 (rate-limited, Retry-After, field naming the
  setting) for one more; other addresses are not affected; a publish frees
  a place, a failed publish does not;
- max_upload_bytes_per_owner: a part that would take the address's parts
  (in data-sets not published) past the limit is 413 (too-large, field
  naming the setting); a replaced part counts once; exactly the limit is
  allowed; bursts of concurrent parts never end above it, and the files
  of refused parts do not stay;
- draft_ttl: drafts, uploads and failed publishes with no activity for
  longer are deleted (404, rows and folder gone), at start and by the
  gateway's own timer, while a draft that keeps receiving parts, one that
  is published, and other owners' fresh ones stay.
"""

import hashlib
import json
import os
import random
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

PLAN = {"kind": "metered", "unit_wei": "1000000000", "per_query": "1"}


def create(t, c, who, name, fmt="blob", price=True):
    doc = {"name": name, "format": fmt}
    if price:
        doc["price"] = PLAN
    return c.signed(who, "POST", "/v1/datasets", json.dumps(doc))


def put(c, who, ds, n, body):
    return c.signed(who, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n), body)


def wait_state(t, c, who, ds, states, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        r = c.signed(who, "GET", "/v1/datasets/" + ds)
        st = r.json().get("state") if r.status == 200 else r.status
        if st in states or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


def folder(srv, ds):
    return os.path.join(srv.data_dir, "uploads", ds[2:])


def quotas(t):
    srv = sh.Server(t, "quota", args=["--max-drafts-per-owner", "3",
                                      "--max-upload-bytes-per-owner", "10K",
                                      "--draft-ttl", "1h"]).start()
    c = sh.Client(srv)
    a, b = sh.Account(), sh.Account()

    t.step("max_drafts_per_owner 3: three drafts, the fourth is 429 with "
           "Retry-After; another address is not affected")
    ds = []
    for i in range(3):
        ds.append(t.expect_json(create(t, c, a, "a%d" % i), 201,
                                "draft %d" % i)["id"])
    for fmt in ("blob", "csv", "jsonl"):
        r = create(t, c, a, "one more " + fmt, fmt)
        t.expect_problem(r, 429, "a fourth draft (%s)" % fmt,
                         field="max_drafts_per_owner")
        ra = r.header("Retry-After") or ""
        t.check(ra.isdigit() and 1 <= int(ra) <= 3601,
                "Retry-After of the 429 is 1 to 3601 s: %r" % ra, r)
        t.check(r.json()["type"].endswith(":rate-limited"), "type", r)
    bd = [t.expect_json(create(t, c, b, "b%d" % i), 201,
                        "b's draft %d" % i)["id"] for i in range(3)]
    t.expect_problem(create(t, c, b, "b3"), 429, "b's fourth",
                     field="max_drafts_per_owner")

    t.step("max_upload_bytes_per_owner 10 KiB: parts add up across drafts; "
           "413 naming the setting past it; a replaced part counts once")
    K = 1024
    t.expect_json(put(c, a, ds[0], 1, os.urandom(4 * K)), 200, "4K in a0")
    t.expect_json(put(c, a, ds[1], 1, os.urandom(4 * K)), 200, "4K in a1")
    r = put(c, a, ds[2], 1, os.urandom(3 * K))
    doc = t.expect_problem(r, 413, "3K more in a2",
                           field="max_upload_bytes_per_owner")
    t.check(doc["type"].endswith(":too-large"), "type of the 413", r)
    t.check("10240" in doc["detail"], "the detail gives the limit", r)
    t.eq(os.listdir(folder(srv, ds[2])) if os.path.isdir(folder(srv, ds[2]))
         else [], [], "no file of the refused part")
    # Replacing a0's part 1: it counts once.
    t.expect_json(put(c, a, ds[0], 1, os.urandom(6 * K)), 200,
                  "replace a0 part 1 with 6K (4K + 6K = 10K)")
    t.expect_problem(put(c, a, ds[2], 1, b"x"), 413, "one byte more",
                     field="max_upload_bytes_per_owner")
    t.expect_json(put(c, a, ds[2], 1, b""), 200, "an empty part fits")
    # b has a budget of its own: a's 10 KiB are not b's.
    t.expect_json(put(c, b, bd[0], 1, os.urandom(10 * K)), 200,
                  "b's 10 KiB")
    t.expect_problem(put(c, b, bd[1], 1, b"y"), 413, "b's byte more",
                     field="max_upload_bytes_per_owner")

    t.step("a failed publish still counts; a good publish frees its place "
           "and its bytes")
    # a1: a JSON Lines part that is not JSON fails; a0 is a blob.
    r = c.signed(a, "POST", "/v1/datasets/%s/publish" % ds[0])
    t.expect_json(r, 202, "publish a0")
    t.eq(wait_state(t, c, a, ds[0], ("published", "failed")), "published",
         "a0 published")
    # The publisher removes the parts just after the commit that makes
    # the data-set published (a crash between the two leaves them for the
    # start-up sweep): wait for it, a bounded while.
    deadline = time.monotonic() + 10
    while os.path.isdir(folder(srv, ds[0])) and time.monotonic() < deadline:
        time.sleep(0.02)
    t.eq(os.path.isdir(folder(srv, ds[0])), False, "a0's folder after "
         "publishing")
    d = t.expect_json(create(t, c, a, "bad", "jsonl"), 201,
                      "a new draft in the place a0 left")
    bad = d["id"]
    t.expect_json(put(c, a, bad, 1, b"not json\n"), 200, "a bad part")
    t.expect_json(c.signed(a, "POST", "/v1/datasets/%s/publish" % bad), 202,
                  "publish the bad draft")
    t.eq(wait_state(t, c, a, bad, ("published", "failed")), "failed",
         "the bad draft failed")
    t.expect_problem(create(t, c, a, "more"), 429, "a failed publish still "
                     "takes a place", field="max_drafts_per_owner")
    t.expect_json(put(c, a, ds[2], 1, os.urandom(5 * K)), 200,
                  "5K fits once a0's 6K are published")

    t.step("bursts of concurrent parts near the limit: the sum never passes "
           "it, every answer is 200 or 413, refused files do not stay")
    drafts = [ds[1], ds[2], bad]
    for burst in range(4):
        for d_ in drafts:
            for n in range(1, 8):
                # Empty every part first (they fit): a clean budget.
                put(c, a, d_, n, b"")
        jobs = [(random.choice(drafts), random.randint(1, 7),
                 os.urandom(random.randint(500, 3 * K)))
                for _ in range(random.randint(8, 20))]
        prepared = [c.prepare(a, "PUT", "/v1/datasets/%s/parts/%d" %
                              (d_, n), body) for d_, n, body in jobs]
        out = [None] * len(jobs)

        def one(i):
            out[i] = c.send_prepared(prepared[i], timeout=60)
        ths = [threading.Thread(target=one, args=(i,))
               for i in range(len(jobs))]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        t.check(all(r.status in (200, 413) for r in out),
                "burst %d: answers %s" % (burst, [r.status for r in out]))
        total = 0
        for d_ in drafts:
            r = c.signed(a, "GET", "/v1/datasets/%s/parts" % d_)
            parts = t.expect_json(r, 200, "parts")["parts"]
            total += sum(p["bytes"] for p in parts)
            want = sorted({p["sha256"][2:] for p in parts})
            got = sorted(os.listdir(folder(srv, d_))) \
                if os.path.isdir(folder(srv, d_)) else []
            t.eq(got, want, "burst %d: files of %s" % (burst, d_[:10]))
        t.check(total <= 10 * K, "burst %d: %d bytes held, limit %d" %
                (burst, total, 10 * K))
        t.step("  burst %d: %d PUTs, %d answered 413, %d bytes held" %
               (burst, len(jobs), sum(r.status == 413 for r in out), total))
    srv.stop()


def expiry(t):
    t.step("draft_ttl 1h: drafts of every kind, then a restart with "
           "draft_ttl 2s after they have been idle: gone at the start")
    srv = sh.Server(t, "expiry", args=["--draft-ttl", "1h"]).start()
    c = sh.Client(srv)
    a, b = sh.Account(), sh.Account()
    kinds = {}
    kinds["draft"] = t.expect_json(create(t, c, a, "d"), 201, "draft")["id"]
    kinds["uploading"] = t.expect_json(create(t, c, a, "u"), 201,
                                       "uploading")["id"]
    for n in (1, 2, 3):
        t.expect_json(put(c, a, kinds["uploading"], n, os.urandom(3000)),
                      200, "part %d" % n)
    kinds["failed"] = t.expect_json(create(t, c, a, "f", "jsonl"), 201,
                                    "failed")["id"]
    t.expect_json(put(c, a, kinds["failed"], 1, b"[1]\n"), 200, "bad part")
    t.expect_json(c.signed(a, "POST", "/v1/datasets/%s/publish" %
                           kinds["failed"]), 202, "publish")
    t.eq(wait_state(t, c, a, kinds["failed"], ("failed", "published")),
         "failed", "failed")
    pub = sh.publish_dataset(t, c, a, {"name": "p", "format": "blob",
                                       "price": PLAN}, b"kept", what="pub")
    srv.stop()
    time.sleep(3.2)
    srv.args = [x for x in srv.args if x not in ("--draft-ttl", "1h")] + \
        ["--draft-ttl", "2s"]
    srv.start()
    for k, ds in kinds.items():
        r = c.signed(a, "GET", "/v1/datasets/" + ds)
        t.expect_problem(r, 404, "the %s after the start" % k, field="id")
        t.eq(os.path.exists(folder(srv, ds)), False,
             "the %s's folder after the start" % k)
    r = c.signed(a, "GET", "/v1/datasets/" + pub["id"])
    t.eq(t.expect_json(r, 200, "the published one").get("state"),
         "published", "the published data-set stays")
    r = c.get("/v1/objects/" + c.get("/v1/datasets/%s/chunks" % pub["id"])
              .json()["chunks"][0]["object_id"])
    t.expect(r, 200, "its object stays")

    t.step("draft_ttl 2s, by the timer: idle drafts go; one that keeps "
           "receiving parts, a fresh one of another owner and the published "
           "one stay")
    idle = [t.expect_json(create(t, c, a, "idle%d" % i), 201, "idle")["id"]
            for i in range(3)]
    t.expect_json(put(c, a, idle[1], 1, os.urandom(1000)), 200, "idle part")
    busy = t.expect_json(create(t, c, a, "busy"), 201, "busy")["id"]
    gone = set()
    deadline = time.monotonic() + 60
    n = 0
    while len(gone) < len(idle) and time.monotonic() < deadline:
        n += 1
        t.hush += 1
        t.expect_json(put(c, a, busy, 1 + n % 3, os.urandom(100 + n)), 200,
                      "a part of the busy draft")
        t.hush -= 1
        for ds in idle:
            if ds not in gone and c.signed(a, "GET", "/v1/datasets/" +
                                           ds).status == 404:
                gone.add(ds)
        time.sleep(0.25)
    t.eq(len(gone), len(idle), "idle drafts deleted by the timer")
    for ds in idle:
        t.eq(os.path.exists(folder(srv, ds)), False, "folder of an idle one")
    fresh = t.expect_json(create(t, c, b, "fresh"), 201, "b's fresh")["id"]
    r = c.signed(a, "GET", "/v1/datasets/" + busy)
    t.eq(t.expect_json(r, 200, "the busy draft stays").get("state"),
         "uploading", "the busy draft's state")
    r = c.signed(a, "GET", "/v1/datasets/%s/parts" % busy)
    parts = t.expect_json(r, 200, "its parts")["parts"]
    t.eq(sorted(os.listdir(folder(srv, busy))),
         sorted({p["sha256"][2:] for p in parts}), "its files")
    t.expect_json(c.signed(b, "GET", "/v1/datasets/" + fresh), 200,
                  "b's fresh draft")
    srv.stop()
    db = sqlite3.connect(os.path.join(srv.data_dir, "sluice.db"))
    left = {bytes(r[0]).hex() for r in db.execute("SELECT id FROM datasets")}
    for ds in list(kinds.values()) + idle:
        t.check(ds[2:] not in left, "no row left of %s" % ds[:10])
    (np,) = db.execute("SELECT count(*) FROM dataset_parts WHERE dataset_id "
                       "NOT IN (SELECT id FROM datasets)").fetchone()
    t.eq(np, 0, "no part row without its data-set")
    db.close()


def main():
    t = sh.Test("test_http_drafts_limits")
    random.seed(os.environ.get("SLUICE_TEST_SEED"))
    t.hush += 1
    quotas(t)
    expiry(t)
    t.hush -= 1
    t.finish()


if __name__ == "__main__":
    main()
