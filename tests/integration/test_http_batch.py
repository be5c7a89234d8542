#!/usr/bin/env python3
"""Group commit against a live sluiced: bursts of signed PUT .../price
(most by the owner, some by another signer: 404 on a draft, some with a bad plan:
400, two copies of one request on two connections) are written on their
own connections before any answer is read, so that the gateway reads
several in one turn of its loop and commits them together. Checks: each
request has the answer it would have had alone; every answer that is not a
5xx is replayed byte for byte for the same nonce; the second copy of a
request is either told to retry (409 with Retry-After: 1) or given the
first one's answer; the view shows one of the committed prices; the
publish path (which hands work to a worker after the commit) still ends
published; and /metrics shows fewer commits than requests."""

import json
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402


def raw_bytes(c, p):
    head = ["%s %s HTTP/1.1" % (p.method, p.target),
            "Host: 127.0.0.1:%d" % c.port, "Connection: close",
            "Content-Length: %d" % len(p.body)]
    head += ["%s: %s" % kv for kv in p.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + p.body


def burst(c, prepared):
    """Send every request on its own connection, then read the answers."""
    socks = []
    for p in prepared:
        s = socket.create_connection(("127.0.0.1", c.port), timeout=30)
        socks.append(s)
    for s, p in zip(socks, prepared):
        s.sendall(raw_bytes(c, p))
    out = []
    for s, p in zip(socks, prepared):
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        s.close()
        r = sh.parse_raw_response(b"".join(chunks))
        r.prepared = p
        out.append(r)
    return out


def batch_counters(t, c):
    r = c.get("/metrics")
    text = r.body.decode()
    vals = []
    for name in ("sluice_write_batches_total",
                 "sluice_write_batch_requests_total"):
        m = re.search(r"^%s (\d+)$" % name, text, re.M)
        t.check(m is not None, "/metrics shows %s" % name, r)
        vals.append(int(m.group(1)) if m else 0)
    return vals


def main():
    t = sh.Test("test_http_batch")
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    other = sh.Account()
    d, _ = sh.create_dataset(t, c, owner, {"name": "batched", "format": "csv",
                                           "price": sh.METERED})
    ds = d["id"]
    target = "/v1/datasets/%s/price" % ds

    fewer = False
    for attempt in range(3):
        t.step("burst %d: 20 owner PUTs, 4 by another signer, 4 bad plans, "
               "one request twice" % (attempt + 1))
        b0, r0 = batch_counters(t, c)
        good, prepared = [], []
        for i in range(20):
            plan = dict(sh.METERED, per_query=str(100 + i))
            p = c.prepare(owner, "PUT", target, json.dumps(plan))
            good.append(p)
            prepared.append(("ok", p))
        for i in range(4):
            prepared.append(("404", c.prepare(other, "PUT", target,
                                              json.dumps(sh.METERED))))
        for i in range(4):
            prepared.append(("400", c.prepare(owner, "PUT", target,
                                              json.dumps({"kind": "nope"}))))
        twin = c.prepare(owner, "PUT", target,
                         json.dumps(dict(sh.METERED, per_query="999")))
        prepared.append(("twin", twin))
        prepared.append(("twin", twin))
        answers = burst(c, [p for _, p in prepared])
        committed = []
        twins = []
        for (kind, p), r in zip(prepared, answers):
            if kind == "ok":
                j = t.expect_json(r, 200, "owner PUT")
                want = json.loads(p.body)["per_query"]
                t.eq((j or {}).get("price", {}).get("per_query"), want,
                     "each answer shows its own plan", r)
                committed.append(j)
            elif kind == "404":
                t.expect_problem(r, 404, "PUT by another signer (a draft)",
                                 "id")
            elif kind == "400":
                t.expect_problem(r, 400, "PUT with a bad plan")
            else:
                twins.append(r)
        ok_twins = [r for r in twins if r.status == 200]
        t.check(len(ok_twins) >= 1, "one copy of the twin request is "
                "answered 200 (%s)" % [r.status for r in twins])
        for r in twins:
            if r.status == 409:
                t.eq(r.header("Retry-After"), "1",
                     "Retry-After of a copy that arrived while the first "
                     "ran", r)
            else:
                t.eq(r.status, 200, "the other copy: 200 (a replay)", r)
                t.eq(r.body, ok_twins[0].body, "a replay is byte for byte",
                     r)
        t.step("  every answer is remembered: the same requests again are "
               "replayed byte for byte")
        for (kind, p), r in zip(prepared, answers):
            if r.status is None or r.status >= 500 or r.status == 409:
                continue
            r2 = c.send_prepared(p)
            t.eq((r2.status, r2.body), (r.status, r.body),
                 "replay of a %s answer" % kind, r2)
        v = t.expect_json(c.signed(owner, "GET", "/v1/datasets/" + ds), 200,
                          "GET after the burst")
        t.check((v or {}).get("price") in
                [j.get("price") for j in committed] +
                [ok_twins[0].json().get("price")] if ok_twins else [],
                "the view shows one of the committed plans")
        b1, r1 = batch_counters(t, c)
        t.step("  %d requests in %d commits" % (r1 - r0, b1 - b0))
        t.check(r1 - r0 >= 29, "every request went through a group commit")
        if b1 - b0 < r1 - r0:
            fewer = True
            break
    t.check(fewer, "some requests shared a commit")

    t.step("publish (the worker starts after the commit) ends published")
    sh.upload_parts(t, c, owner, ds, [b"a,b\n1,2\n3,4\n"])
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_json(r, 202, "publish")
    sh.wait_published(t, c, owner, ds)
    srv.stop()
    t.finish()


if __name__ == "__main__":
    main()
