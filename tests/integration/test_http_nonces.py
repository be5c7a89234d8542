#!/usr/bin/env python3
"""Nonces and replays (DESIGN.md 3.1) against a live sluiced: a repeated
signed request gets the first answer verbatim (status, body, Location) and
has its effect once; a nonce reused for anything else is 409; 100 copies at
once still make one data-set; 4xx answers are remembered too; a restart
(SIGTERM, then kill -9) keeps them; nonces are per signer and
case-sensitive."""

import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402


def count_datasets(srv, owner):
    db = srv.db()
    try:
        return db.execute("SELECT count(*) FROM datasets WHERE owner = ?",
                          (owner.address,)).fetchone()[0]
    finally:
        db.close()


def main():
    t = sh.Test("test_http_nonces")
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    me = sh.Account()
    body = json.dumps({"name": "replayed", "format": "csv"})

    def same_answer(a, b, what):
        t.eq(b.status, a.status, "%s: status of the repeat" % what, b)
        t.eq(b.body, a.body, "%s: body of the repeat" % what, b)
        t.eq(b.header("Location"), a.header("Location"),
             "%s: Location of the repeat" % what, b)
        t.eq(b.header("Content-Type"), a.header("Content-Type"),
             "%s: Content-Type of the repeat" % what, b)

    t.step("the same signed create twice: the same 201, one data-set")
    p = c.prepare(me, "POST", "/v1/datasets", body)
    first = c.send_prepared(p)
    d = t.expect_json(first, 201, "first copy")
    second = c.send_prepared(p)
    same_answer(first, second, "an identical copy")
    t.eq(count_datasets(srv, me), 1, "data-sets of the signer in the "
         "database after two copies")

    t.step("the same nonce re-signed with a later timestamp: still the "
           "replay (the timestamp may differ)")
    time.sleep(1.1)
    q = c.prepare(me, "POST", "/v1/datasets", body, nonce=p.nonce)
    t.check(q.header("X-Sluice-Timestamp") != p.header("X-Sluice-Timestamp"),
            "the re-signed copy should carry a new timestamp")
    same_answer(first, c.send_prepared(q), "a re-signed copy")
    t.eq(count_datasets(srv, me), 1, "data-sets after the re-signed copy")

    t.step("the same nonce for another body, target or method: 409 naming "
           "the nonce, nothing done")
    other = json.dumps({"name": "another", "format": "csv"})
    r = c.signed(me, "POST", "/v1/datasets", other, nonce=p.nonce)
    t.expect_problem(r, 409, "same nonce, another body", "X-Sluice-Nonce")
    r = c.signed(me, "POST", "/v1/datasets?x=1", body, nonce=p.nonce)
    t.expect_problem(r, 409, "same nonce, another target", "X-Sluice-Nonce")
    r = c.signed(me, "PUT", "/v1/datasets/%s/price" % d["id"],
                 json.dumps(sh.METERED), nonce=p.nonce)
    t.expect_problem(r, 409, "same nonce, another route", "X-Sluice-Nonce")
    t.eq(count_datasets(srv, me), 1, "data-sets after the 409s")
    r = c.signed(me, "GET", "/v1/datasets/" + d["id"])
    t.eq(t.expect_json(r, 200, "GET the data-set").get("price"), None,
         "the 409 PUT price changed nothing")
    same_answer(first, c.send_prepared(p), "the first copy after the 409s")

    t.step("nonces are per signer: another signer's same nonce is a new "
           "request")
    you = sh.Account()
    r = c.signed(you, "POST", "/v1/datasets", body, nonce=p.nonce)
    j = t.expect_json(r, 201, "another signer, same nonce")
    t.eq(j.get("owner"), you.address, "owner of the other signer's create",
         r)
    t.check(j.get("id") != d["id"], "a new data-set for the other signer", r)

    t.step("nonces compare case-sensitively: abc...P and ABC...p are two "
           "requests")
    n1, n2 = "caseNonceTest-abcP", "CASEnONCEtEST-ABCp"
    a = c.signed(me, "POST", "/v1/datasets", body, nonce=n1)
    b = c.signed(me, "POST", "/v1/datasets", body, nonce=n2)
    t.expect_json(a, 201, "nonce %s" % n1)
    t.expect_json(b, 201, "nonce %s" % n2)
    t.check(a.json()["id"] != b.json()["id"],
            "nonces differing in case made one data-set", b)
    base = count_datasets(srv, me)
    t.eq(base, 3, "data-sets of the signer so far")

    t.step("a 4xx answer is remembered and replayed too (and its nonce then "
           "refuses another body)")
    bad = json.dumps({"format": "csv"})
    pb = c.prepare(me, "POST", "/v1/datasets", bad)
    r1 = c.send_prepared(pb)
    t.expect_problem(r1, 400, "create without a name", "name")
    same_answer(r1, c.send_prepared(pb), "a repeated 400")
    r = c.signed(me, "POST", "/v1/datasets", body, nonce=pb.nonce)
    t.expect_problem(r, 409, "the 400's nonce with a good body",
                     "X-Sluice-Nonce")
    t.eq(count_datasets(srv, me), base, "data-sets after the 400 replays")
    t.step("a replayed 404 (publishing someone else's draft)")
    r = c.signed(you, "GET", "/v1/datasets/" + d["id"])
    pn = c.prepare(you, "POST", "/v1/datasets/%s/publish" % d["id"])
    r1 = c.send_prepared(pn)
    t.expect_problem(r1, 404, "publish another signer's draft", "id")
    same_answer(r1, c.send_prepared(pn), "a repeated 404")

    t.step("100 copies of one signed create sent at once from 100 threads: "
           "each gets the same 201 or 409 with Retry-After; one data-set")
    pc = c.prepare(me, "POST", "/v1/datasets",
                   json.dumps({"name": "stampede", "format": "jsonl"}))
    answers = [None] * 100
    gate = threading.Barrier(100)

    def fire(i):
        try:
            gate.wait(10)
        except threading.BrokenBarrierError:
            pass
        answers[i] = c.send_prepared(pc, timeout=60)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(100)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(90)
    created = [r for r in answers if r is not None and r.status == 201]
    busy = [r for r in answers if r is not None and r.status == 409]
    others = [r for r in answers if r is None or r.status not in (201, 409)]
    t.check(not others, "%d of 100 copies got neither 201 nor 409" %
            len(others), others[0] if others else None)
    t.check(created, "no copy got the 201")
    for r in created[1:]:
        same_answer(created[0], r, "concurrent copies")
    for r in busy:
        t.expect_problem(r, 409, "a concurrent copy refused",
                         "X-Sluice-Nonce")
        t.eq(r.header("Retry-After"), "1", "Retry-After of a 409 for a "
             "copy still running", r)
    t.step("  %d got the 201, %d got 409 + Retry-After" %
           (len(created), len(busy)))
    t.eq(count_datasets(srv, me), base + 1, "data-sets after 100 copies")
    stamp = created[0]

    t.step("20 copies of one signed part upload (handled off the event "
           "loop) at once: the same 200 or 409 + Retry-After; one part")
    part = b"id,v\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(400000))
    pp = c.prepare(me, "PUT", "/v1/datasets/%s/parts/1" % d["id"], part)
    answers = [None] * 20
    gate = threading.Barrier(20)

    def fire_part(i):
        try:
            gate.wait(10)
        except threading.BrokenBarrierError:
            pass
        answers[i] = c.send_prepared(pp, timeout=60)

    threads = [threading.Thread(target=fire_part, args=(i,))
               for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(90)
    done = [r for r in answers if r is not None and r.status == 200]
    busy = [r for r in answers if r is not None and r.status == 409]
    t.check(len(done) + len(busy) == 20, "every copy should get 200 or 409: "
            "%r" % [r.status if r else None for r in answers])
    t.check(done, "no copy of the part upload got its 200")
    for r in done[1:]:
        same_answer(done[0], r, "concurrent part uploads")
    for r in busy:
        t.expect_problem(r, 409, "a concurrent part upload refused",
                         "X-Sluice-Nonce")
        t.eq(r.header("Retry-After"), "1", "Retry-After of the 409", r)
    t.step("  %d got the 200, %d got 409 + Retry-After" %
           (len(done), len(busy)))
    same_answer(done[0], c.send_prepared(pp), "the part upload repeated")
    r = c.signed(me, "GET", "/v1/datasets/%s/parts" % d["id"])
    t.eq(t.expect_json(r, 200, "GET parts")["parts"],
         [json.loads(done[0].body)], "one part after the copies")

    t.step("SIGTERM and restart on the same data dir: the copies still "
           "replay (nonces persist)")
    srv.restart()
    same_answer(stamp, c.send_prepared(pc), "the stampede after a restart")
    same_answer(first, c.send_prepared(p), "the first create after a restart")
    r = c.signed(me, "POST", "/v1/datasets", other, nonce=p.nonce)
    t.expect_problem(r, 409, "same nonce, another body, after a restart",
                     "X-Sluice-Nonce")
    t.step("a request answered just before kill -9 replays after the "
           "restart; nothing doubles")
    pk = c.prepare(me, "POST", "/v1/datasets",
                   json.dumps({"name": "before the kill", "format": "csv"}))
    rk = c.send_prepared(pk)
    t.expect_json(rk, 201, "create before kill -9")
    srv.kill9()
    srv.start()
    same_answer(rk, c.send_prepared(pk), "after kill -9")
    same_answer(r1, c.send_prepared(pn), "the 404 after kill -9")
    t.eq(count_datasets(srv, me), base + 2, "data-sets after the restarts")
    t.finish()


if __name__ == "__main__":
    main()
