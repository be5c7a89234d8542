#!/usr/bin/env python3
"""The view cache against a live sluiced: GET /v1/datasets/<id> of a
published data-set is served from the cache (the hit and miss counters of
/metrics say so), and each change to what the view shows is in the very
next GET, unsigned and signed alike: the price (PUT .../price), listed
(DELETE), the whole view (publishing, which a publish worker thread
commits), and a second data-set publishing beside a cached one. Each GET
is also compared with the same view rendered without the cache (the owner's
signed GET of a data-set whose view was just changed is a miss)."""

import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402


def counters(t, c):
    r = c.get("/metrics")
    t.expect(r, 200, "GET /metrics")
    text = r.body.decode()
    out = {}
    for kind in ("hit", "miss"):
        m = re.search(r'^sluice_view_cache_lookups_total\{result="%s"\} (\d+)$'
                      % kind, text, re.M)
        t.check(m is not None, "/metrics shows view cache %ss" % kind, r)
        out[kind] = int(m.group(1)) if m else 0
    return out


def get_view(t, c, ds, what, account=None):
    if account is None:
        r = c.get("/v1/datasets/" + ds)
    else:
        r = c.signed(account, "GET", "/v1/datasets/" + ds)
    return t.expect_json(r, 200, what), r


def main():
    t = sh.Test("test_http_viewcache")
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    reader = sh.Account()
    csv = b"id,temp\n" + b"".join(b"%d,%d.5\n" % (i, i) for i in range(50))

    t.step("publish a data-set (the publish worker commits it)")
    d, _ = sh.create_dataset(t, c, owner, {"name": "cached", "format": "csv",
                                           "price": sh.METERED})
    ds = d["id"]
    sh.upload_parts(t, c, owner, ds, [csv])
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_json(r, 202, "publish")
    pub = sh.wait_published(t, c, owner, ds)

    t.step("the owner's last poll (signed) filled the cache: three more "
           "GETs, unsigned and signed, are hits, all equal to that view")
    before = counters(t, c)
    v1, r1 = get_view(t, c, ds, "GET 1")
    v2, r2 = get_view(t, c, ds, "GET 2")
    v3, _ = get_view(t, c, ds, "GET 3 signed by a reader", reader)
    after = counters(t, c)
    t.eq(after["miss"] - before["miss"], 0, "misses over three GETs")
    t.eq(after["hit"] - before["hit"], 3, "hits over three GETs")
    t.eq(v1, pub, "the unsigned view equals the owner's", r1)
    t.eq(r2.body, r1.body, "a hit sends the same bytes", r2)
    t.eq(v3, pub, "the signed reader's view", r2)
    t.eq(r2.header("Content-Type"), "application/json", "Content-Type of a hit",
         r2)
    t.eq(r2.header("Cache-Control"), "no-store", "Cache-Control of a hit", r2)

    t.step("HEAD of a cached view: 200, no body")
    r = c.send("HEAD", "/v1/datasets/" + ds)
    t.expect(r, 200, "HEAD")
    t.eq(r.body, b"", "HEAD body", r)

    t.step("each change to the view is in the next GET, unsigned and signed")
    for i, per_query in enumerate(("11", "12", "13")):
        plan = dict(sh.METERED, per_query=per_query)
        r = c.signed(owner, "PUT", "/v1/datasets/%s/price" % ds,
                     json.dumps(plan))
        put = t.expect_json(r, 200, "PUT price %s" % per_query)
        v, r = get_view(t, c, ds, "GET after PUT price %s" % per_query)
        t.eq((v or {}).get("price", {}).get("per_query"), per_query,
             "price.per_query right after the PUT", r)
        t.eq(v, put, "the GET equals the PUT's answer", r)
        v, r = get_view(t, c, ds, "GET again (a hit)")
        t.eq((v or {}).get("price", {}).get("per_query"), per_query,
             "price.per_query on the next hit", r)
        v, r = get_view(t, c, ds, "signed GET", reader)
        t.eq((v or {}).get("price", {}).get("per_query"), per_query,
             "price.per_query in a signed GET", r)
    get_view(t, c, ds, "warm the cache before DELETE")
    r = c.signed(owner, "DELETE", "/v1/datasets/" + ds)
    t.expect(r, 204, "DELETE (unlist)")
    v, r = get_view(t, c, ds, "GET after DELETE")
    t.eq((v or {}).get("listed"), False, "listed right after DELETE", r)

    t.step("a second data-set publishes (on a worker thread) while the "
           "first is read from the cache; each GET of it shows its state "
           "as the owner's view does, and the first stays right")
    d2, _ = sh.create_dataset(t, c, owner, {"name": "second", "format": "csv",
                                            "price": sh.METERED})
    ds2 = d2["id"]
    sh.upload_parts(t, c, owner, ds2, [csv * 4000])
    first_before, rf = get_view(t, c, ds, "GET the first (cache warm)")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds2)
    t.expect_json(r, 202, "publish the second")
    deadline = time.monotonic() + 30
    states = []
    while time.monotonic() < deadline:
        t.hush += 1
        first, r = get_view(t, c, ds, "GET the first while publishing")
        own, ro = get_view(t, c, ds2, "owner GET of the second", owner)
        r2 = c.get("/v1/datasets/" + ds2)
        t.hush -= 1
        t.eq(first, first_before, "the first data-set's view", r)
        state = (own or {}).get("state")
        if not states or states[-1] != state:
            states.append(state)
        if state == "published":
            t.eq(r2.status, 200, "an unsigned GET of the second once the "
                 "owner sees it published", r2)
            t.eq(r2.json() if r2.status == 200 else None, own,
                 "the unsigned view of the second equals the owner's", r2)
            break
        t.check(r2.status in (200, 404), "unsigned GET of the second while "
                "publishing: %d" % r2.status, r2)
        if r2.status == 200:
            # It was published between the two GETs.
            t.eq(r2.json().get("state"), "published", "state", r2)
    else:
        t.fail("the second data-set did not publish in 30 s (states %s)" %
               states)
    t.step("  states seen: %s" % " -> ".join(str(s) for s in states))
    v, r = get_view(t, c, ds2, "unsigned GET of the second (now cached)")
    v2b, r2b = get_view(t, c, ds2, "again")
    t.eq(r2b.body, r.body, "the second's cached bytes", r2b)
    t.check(len((v or {}).get("columns") or []) == 2,
            "the second's view shows its columns", r)

    end = counters(t, c)
    t.check(end["hit"] > after["hit"], "hits went on counting")
    srv.stop()
    t.finish()


if __name__ == "__main__":
    main()
