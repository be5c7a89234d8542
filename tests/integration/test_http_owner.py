#!/usr/bin/env python3
"""The owner's story over HTTP, against a live sluiced (DESIGN.md 3.2, 3.4,
3.9): create, upload parts (one replaced), publish refusals, publish and
poll, the published view, the public manifest, every object with its SLC1
header, conditional and range requests, the catalogue with search, tags,
every sort and cursor paging, and DELETE as unlisting. Ends by exporting
the stored data-set and comparing it with what was uploaded."""

import csv
import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

ID_RE = re.compile(r"0x[0-9a-f]{64}")
OBJ_RE = re.compile(r"[0-9a-f]{64}")


def csv_data():
    """A CSV whose parts end mid-row, with quoted commas, quotes and a line
    break inside a field."""
    out = ["id,city,temp,note\n"]
    for i in range(40):
        out.append('%d,city%d,%s,"note, with comma %d"\n' %
                   (i, i % 7, repr(i * 1.5 - 10.0), i))
    out.append('40,"New\nYork",3,"say ""hi"""\n')
    return "".join(out).encode()


def jsonl_data():
    return b"".join(json.dumps({"id": i, "name": "n%d" % i,
                                "score": i / 4}).encode() + b"\n"
                    for i in range(25))


def main():
    t = sh.Test("test_http_owner")
    n = sh.selftest()
    t.step("the independent client reproduces %d published vectors "
           "(Keccak-256, EIP-55, request signatures)" % n)
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    other = sh.Account()

    # -- create ------------------------------------------------------------
    t.step("POST /v1/datasets (signed) creates a draft: 201, Location, the "
           "GET shape, owner = the signer in EIP-55")
    create = {"name": "Weather stations 2024", "format": "csv",
              "description": "hourly readings; the zebra crossing set",
              "tags": ["climate", "hourly"], "license": "CC-BY-4.0",
              "chunking": {"rows": 8}, "preview_rows": 50}
    r = c.signed(owner, "POST", "/v1/datasets", json.dumps(create),
                 address=owner.address.lower())
    d = t.expect_json(r, 201, "create")
    ds = d["id"]
    t.check(ID_RE.fullmatch(ds) is not None,
            "id should be 0x + 64 lowercase hex digits, is %r" % ds, r)
    t.eq(r.header("Location"), "/v1/datasets/" + ds, "Location of the 201", r)
    t.eq(d.get("state"), "draft", "state of a new data-set", r)
    t.eq(d.get("owner"), owner.address, "owner (EIP-55 of the signer)", r)
    t.eq(d.get("upload_url"), "/v1/datasets/%s/parts/{n}" % ds, "upload_url",
         r)
    for k, v in create.items():
        t.eq(d.get(k), v, "member %s echoes the request" % k, r)
    t.eq(d.get("price"), None, "price of a data-set created without one", r)
    t.eq(d.get("listed"), True, "listed", r)
    t.check(isinstance(d.get("progress"), dict), "progress is an object", r)
    for k in ("rows", "chunk_count", "content_root", "preview"):
        t.check(d.get(k) is None, "a draft shows no %s (absent or null)" % k,
                r)

    t.step("GET /v1/datasets/<id> by the owner shows the same object; "
           "unsigned it is 404 (drafts are the owner's)")
    r = c.signed(owner, "GET", "/v1/datasets/" + ds)
    t.eq(t.expect_json(r, 200, "GET the draft as owner"), d,
         "GET equals the 201 body", r)
    r = c.get("/v1/datasets/" + ds)
    t.expect_problem(r, 404, "GET the draft unsigned", "id")
    r = c.signed(other, "GET", "/v1/datasets/" + ds)
    t.expect_problem(r, 404, "GET the draft as another signer", "id")

    # -- parts -------------------------------------------------------------
    data = csv_data()
    cut1, cut2 = 97, 513           # both in the middle of a row
    parts = [data[:cut1], data[cut1:cut2], data[cut2:]]
    t.step("PUT parts 1..3 (split mid-row): 200 {n, bytes, sha256}")
    for i, p in enumerate(parts, 1):
        body = b"wrong bytes for part two" if i == 2 else p
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, i), body)
        j = t.expect_json(r, 200, "PUT part %d" % i)
        t.eq(j, {"n": i, "bytes": len(body),
                 "sha256": "0x" + hashlib.sha256(body).hexdigest()},
             "answer to PUT part %d" % i, r)
    r = c.signed(owner, "GET", "/v1/datasets/" + ds)
    t.eq(t.expect_json(r, 200, "GET after a part").get("state"), "uploading",
         "state once a part is in", r)
    t.step("PUT part 2 again replaces it")
    r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/2" % ds, parts[1])
    t.eq(t.expect_json(r, 200, "replace part 2"),
         {"n": 2, "bytes": len(parts[1]),
          "sha256": "0x" + hashlib.sha256(parts[1]).hexdigest()},
         "answer to the replacing PUT", r)
    t.step("GET /v1/datasets/<id>/parts lists parts 1..3 with the new part 2")
    r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % ds)
    j = t.expect_json(r, 200, "GET parts")
    want = [{"n": i, "bytes": len(p),
             "sha256": "0x" + hashlib.sha256(p).hexdigest()}
            for i, p in enumerate(parts, 1)]
    t.eq(j, {"parts": want}, "the parts list", r)

    # -- publish refusals ----------------------------------------------------
    t.step("publish without a price plan: 409 naming price")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_problem(r, 409, "publish without price", "price")
    t.step("PUT /v1/datasets/<id>/price: 200 with the plan in the view")
    plan = {"kind": "metered", "unit_wei": "1000000000", "per_query": "3",
            "per_chunk": "2"}
    r = c.signed(owner, "PUT", "/v1/datasets/%s/price" % ds, json.dumps(plan))
    j = t.expect_json(r, 200, "PUT price")
    for k, v in plan.items():
        t.eq((j.get("price") or {}).get(k), v, "price.%s after PUT" % k, r)

    t.step("publish a draft whose parts have a gap (1 and 3): 409 naming "
           "parts; one with no part at all: 409 naming parts")
    gap, _ = sh.create_dataset(t, c, owner, {"name": "gappy", "format": "csv",
                                             "price": plan}, "create gappy")
    for i in (1, 3):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (gap["id"], i),
                     b"a,b\n1,2\n")
        t.expect_json(r, 200, "PUT gappy part %d" % i)
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % gap["id"])
    t.expect_problem(r, 409, "publish with a gap", "parts")
    empty, _ = sh.create_dataset(t, c, owner, {"name": "empty",
                                               "format": "csv",
                                               "price": plan}, "create empty")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % empty["id"], "{}")
    t.expect_problem(r, 409, "publish with no parts", "parts")

    # -- publish -------------------------------------------------------------
    t.step("POST publish: 202 publishing, then poll GET until published")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    j = t.expect_json(r, 202, "publish")
    t.check(j.get("state") in ("publishing", "published"),
            "state after 202 is publishing, is %r" % j.get("state"), r)
    t.eq((j.get("progress") or {}).get("total"), len(data),
         "progress.total is the bytes of all parts", r)
    pub = sh.wait_published(t, c, owner, ds)
    t.eq(pub.get("progress"), {"done": len(data), "total": len(data)},
         "progress once published", None)

    t.step("PUT a part or publish again after publishing: 409")
    r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/4" % ds, b"x\n")
    t.expect_problem(r, 409, "PUT a part of a published data-set")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_problem(r, 409, "publish twice")

    t.step("the published view: rows, columns with types, chunk_count, "
           "preview rows as arrays of strings")
    r = c.get("/v1/datasets/" + ds)
    pub = t.expect_json(r, 200, "GET the published data-set unsigned")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    header, body_rows = rows[0], rows[1:]
    t.eq(pub.get("rows"), len(body_rows), "rows", r)
    t.eq(pub.get("columns"),
         [{"name": "id", "type": "number"}, {"name": "city", "type": "text"},
          {"name": "temp", "type": "number"},
          {"name": "note", "type": "text"}],
         "columns", r)
    t.eq(pub.get("chunk_count"), -(-len(body_rows) // 8), "chunk_count "
         "(rows per chunk 8)", r)
    t.eq(pub.get("preview"), body_rows, "preview (every row, as strings, "
         "quotes and line breaks decoded)", r)
    t.eq(pub.get("owner"), owner.address, "owner", r)
    t.eq(pub.get("listed"), True, "listed", r)
    t.check(ID_RE.fullmatch(pub.get("content_root") or "") is not None,
            "content_root is 0x + 64 hex", r)
    for k in ("name", "description", "tags", "license", "format"):
        t.eq(pub.get(k), create[k], "published %s" % k, r)
    r = c.send("HEAD", "/v1/datasets/" + ds)
    t.expect(r, 200, "HEAD /v1/datasets/<id>")
    t.eq(r.body, b"", "HEAD has no body", r)

    # -- other formats --------------------------------------------------------
    t.step("a JSON Lines data-set: preview rows are objects; a blob: no rows")
    jl = jsonl_data()
    jpub = sh.publish_dataset(t, c, owner, {
        "name": "jsonl scores", "format": "jsonl", "tags": ["scores"],
        "chunking": {"rows": 10}, "preview_rows": 4,
        "price": dict(plan, per_query="7")}, jl, nparts=2, what="jsonl")
    t.eq(jpub.get("rows"), 25, "jsonl rows", None)
    t.eq(jpub.get("chunk_count"), 3, "jsonl chunk_count", None)
    t.eq(jpub.get("preview"), [json.loads(x) for x in jl.splitlines()[:4]],
         "jsonl preview (objects)", None)
    cols = {x.get("name"): x.get("type") for x in jpub.get("columns") or []}
    t.eq(cols, {"id": "number", "name": "text", "score": "number"},
         "jsonl columns", None)
    blob = random.Random(7).randbytes(10000)
    bpub = sh.publish_dataset(t, c, owner, {
        "name": "blob bytes", "format": "blob", "chunking": {"bytes": 4096},
        "price": dict(plan, per_query="1")}, blob, nparts=3, what="blob")
    t.eq(bpub.get("chunk_count"), 3, "blob chunk_count (4096-byte chunks)",
         None)

    # -- chunks and objects ---------------------------------------------------
    objects = {}
    for name, view, plain in (("csv", pub, data), ("jsonl", jpub, jl),
                              ("blob", bpub, blob)):
        did = view["id"]
        t.step("%s: GET /v1/datasets/<id>/chunks, then every object: sha256 "
               "= id, ETag, immutable, SLC1 header" % name)
        r = c.get("/v1/datasets/%s/chunks" % did)
        man = t.expect_json(r, 200, "%s manifest" % name)
        chunks = man.get("chunks") or []
        t.eq(len(chunks), view.get("chunk_count"), "%s: one entry per chunk"
             % name, r)
        t.eq([ch.get("index") for ch in chunks], list(range(len(chunks))),
             "%s: indices ascending from 0" % name, r)
        next_row = 0
        for ch in chunks:
            t.eq(sorted(ch), sorted(["index", "object_id", "url", "first_row",
                                     "rows", "plain_bytes", "stored_bytes"]),
                 "%s chunk %d members" % (name, ch["index"]), r)
            t.check(OBJ_RE.fullmatch(ch.get("object_id") or "") is not None,
                    "object_id is 64 lowercase hex, no 0x", r)
            if name == "blob":
                t.eq((ch["first_row"], ch["rows"]), (None, None),
                     "blob chunks have null first_row and rows", r)
            else:
                t.eq(ch["first_row"], next_row, "%s chunk %d first_row" %
                     (name, ch["index"]), r)
                t.check(ch["rows"] >= 1, "a chunk holds at least one row", r)
                next_row += ch["rows"]
        if name != "blob":
            t.eq(next_row, view.get("rows"), "%s: chunk rows add up" % name,
                 r)
        root = hashlib.sha256(b"".join(bytes.fromhex(ch["object_id"])
                                       for ch in chunks)).hexdigest()
        t.eq(view.get("content_root"), "0x" + root, "%s content_root = "
             "sha256 of the raw object digests in order" % name, r)
        for ch in chunks:
            url = ch["url"]
            t.check(url.endswith("/v1/objects/" + ch["object_id"]),
                    "url points at the object: %r" % url, r)
            path = re.sub(r"^https?://[^/]+", "", url)
            r = c.get(path)
            t.expect(r, 200, "GET %s" % path)
            obj = r.body
            oid = ch["object_id"]
            t.eq(hashlib.sha256(obj).hexdigest(), oid, "sha256 of the bytes "
                 "is the object id", None)
            t.eq(r.header("ETag"), '"%s"' % oid, "ETag", r)
            cc = r.header("Cache-Control") or ""
            t.check("immutable" in cc, "Cache-Control should say immutable, "
                    "is %r" % cc, r)
            t.eq(len(obj), ch["stored_bytes"], "stored_bytes", None)
            magic, ver, flags, res, idx, plen = struct.unpack(">4sBBHQQ",
                                                              obj[:24])
            t.eq(magic, b"SLC1", "magic", None)
            t.eq(ver, 1, "version", None)
            t.eq(flags & 0xFE, 0, "flag bits 1-7", None)
            t.eq(res, 0, "reserved bytes", None)
            t.eq(idx, ch["index"], "chunk index in the header", None)
            t.eq(plen, ch["plain_bytes"], "plaintext length in the header",
                 None)
            t.check(len(obj) >= 36 + 16, "object holds header, nonce, tag",
                    None)
            objects[oid] = obj
        plain_total = sum(ch["plain_bytes"] for ch in chunks)
        t.check(plain_total <= len(plain),
                "%s: chunks hold no more than the data (%d > %d)" %
                (name, plain_total, len(plain)), None)

    # -- conditional and ranges -----------------------------------------------
    oid, obj = next(iter(objects.items()))
    size = len(obj)
    path = "/v1/objects/" + oid
    t.step("HEAD, If-None-Match and Range on one object (%d bytes)" % size)
    r = c.send("HEAD", path)
    t.expect(r, 200, "HEAD object")
    t.eq(r.body, b"", "HEAD body", r)
    t.eq(r.header("Content-Length"), str(size), "HEAD Content-Length", r)
    t.eq(r.header("ETag"), '"%s"' % oid, "HEAD ETag", r)
    r = c.get(path, {"If-None-Match": '"%s"' % oid})
    t.expect(r, 304, "If-None-Match with the ETag")
    t.eq(r.body, b"", "304 has no body", r)
    r = c.get(path, {"If-None-Match": '"%s"' % ("0" * 64)})
    t.expect(r, 200, "If-None-Match with another tag")
    cases = [("bytes=0-9", 0, 10), ("bytes=-5", size - 5, size),
             ("bytes=10-", 10, size)]
    for rng, a, b in cases:
        r = c.get(path, {"Range": rng})
        t.expect(r, 206, "Range: %s" % rng)
        t.eq(r.body, obj[a:b], "bytes of Range: %s" % rng, None)
        t.eq(r.header("Content-Range"), "bytes %d-%d/%d" % (a, b - 1, size),
             "Content-Range of %s" % rng, r)
    r = c.get(path, {"Range": "bytes=999999999-"})
    t.expect_problem(r, 416, "Range past the end")
    t.eq(r.header("Content-Range"), "bytes */%d" % size,
         "Content-Range of a 416", r)
    r = c.get(path, {"Range": "bytes=0-1,5-6"})
    t.expect(r, 200, "several ranges: the whole object")
    t.eq(r.body, obj, "several ranges: body", None)
    t.step("objects that are not published chunks: 404 (a part's sha256, an "
           "unknown id)")
    r = c.get("/v1/objects/" + hashlib.sha256(parts[0]).hexdigest())
    t.expect_problem(r, 404, "GET a part's hash as an object", "object_id")
    r = c.get("/v1/objects/" + "0" * 64)
    t.expect_problem(r, 404, "GET an unknown object", "object_id")

    # -- catalogue ------------------------------------------------------------
    t.step("publish three more small data-sets for the catalogue")
    extra = []
    for i, (nm, tags, pq) in enumerate([("alpha", ["climate"], "5"),
                                        ("Beta", [], "2"),
                                        ("gamma", ["other"], "9")]):
        rows_csv = "k,v\n" + "".join("%d,%d\n" % (j, j) for j in range(i * 30
                                                                     + 1))
        extra.append(sh.publish_dataset(
            t, c, owner, {"name": nm, "format": "csv", "tags": tags,
                          "price": dict(plan, per_query=pq, per_chunk="0")},
            rows_csv.encode(), what="publish %s" % nm))
    published = [pub, jpub, bpub] + extra
    ids = {v["id"] for v in published}

    def listing(query):
        r = c.get("/v1/datasets" + query)
        j = t.expect_json(r, 200, "GET /v1/datasets%s" % query)
        t.eq(sorted(j), ["items", "next_cursor"], "list members", r)
        return j, r

    t.step("GET /v1/datasets: exactly the published data-sets, no drafts")
    j, r = listing("?limit=100")
    t.eq({x["id"] for x in j["items"]}, ids, "listed ids", r)
    t.eq(j["next_cursor"], None, "next_cursor on the only page", r)
    full = {x["id"]: x for x in j["items"]}
    t.step("q searches name and description, any case; tag filters")
    for q, want in (("?q=weather", {ds}), ("?q=WEATHER%20Sta", {ds}),
                    ("?q=zebra", {ds}), ("?q=nothing-like-it", set()),
                    ("?tag=climate", {ds, extra[0]["id"]}),
                    ("?tag=scores", {jpub["id"]}),
                    ("?tag=climate&q=alpha", {extra[0]["id"]})):
        j, r = listing(q)
        t.eq({x["id"] for x in j["items"]}, want, "items of %s" % q, r)
    # LIKE's own characters are searched for as themselves.
    for ch, enc in (("%", "%25"), ("_", "_"), ("\\", "%5C")):
        want = {i for i, x in full.items()
                if ch in x["name"] or ch in (x.get("description") or "")}
        j, r = listing("?q=" + enc)
        t.eq({x["id"] for x in j["items"]}, want, "items of q=%s" % ch, r)
    t.step("owner lists one owner's data-sets, the address in any case")
    for q, want in (("?owner=" + owner.address, ids),
                    ("?owner=" + owner.address.lower(), ids),
                    ("?owner=" + sh.Account().address, set()),
                    ("?owner=%s&q=alpha" % owner.address,
                     {extra[0]["id"]})):
        j, r = listing(q + "&limit=100")
        t.eq({x["id"] for x in j["items"]}, want, "items of %s" % q, r)
    t.expect_problem(c.get("/v1/datasets?owner=0x1234"), 400,
                     "a malformed owner", field="owner")

    def order_ok(sort, items):
        if sort == "name":
            keys = [(x["name"].encode(), x["id"]) for x in items]
        elif sort == "newest":
            keys = [(-x["published_at"], x["id"]) for x in items]
        elif sort == "size":
            keys = [(-x["plain_bytes"], x["id"]) for x in items]
        else:
            keys = [(int(x["price"]["per_query"]) + int(x["price"]
                                                          ["per_chunk"]),)
                    for x in items]
        return keys == sorted(keys)

    for sort in ("name", "newest", "size", "price"):
        t.step("sort=%s: ordered; limit=2 pages through next_cursor, every "
               "item once" % sort)
        j, r = listing("?sort=%s&limit=100" % sort)
        whole = [x["id"] for x in j["items"]]
        t.check(order_ok(sort, j["items"]), "sort=%s order: %s" %
                (sort, [(x["name"], x.get("published_at"),
                         x.get("plain_bytes")) for x in j["items"]]), r)
        seen, cursor, pages = [], None, 0
        while True:
            q = "?sort=%s&limit=2" % sort + ("&cursor=" + cursor if cursor
                                             else "")
            j, r = listing(q)
            t.check(len(j["items"]) <= 2, "a page holds at most limit items",
                    r)
            seen += [x["id"] for x in j["items"]]
            pages += 1
            cursor = j["next_cursor"]
            if cursor is None or pages > 10:
                break
        t.eq(seen, whole, "sort=%s: pages joined equal the whole list" %
             sort, r)
        t.eq(pages, 3, "sort=%s: 6 items in pages of 2" % sort, r)
    j, r = listing("?limit=6")
    t.eq(j["next_cursor"], None, "next_cursor when the page holds all", r)
    for q, field in (("?limit=0", "limit"), ("?limit=101", "limit"),
                     ("?limit=abc", "limit"), ("?sort=cheapest", "sort"),
                     ("?cursor=zz", "cursor"), ("?cursor=00", "cursor")):
        t.expect_problem(c.get("/v1/datasets" + q), 400,
                         "GET /v1/datasets%s" % q, field)
    j, r = listing("?sort=name&limit=2")
    t.expect_problem(c.get("/v1/datasets?sort=size&cursor=" +
                           j["next_cursor"]), 400,
                     "a cursor of sort=name used with sort=size", "cursor")

    # -- unlisting ------------------------------------------------------------
    t.step("DELETE by the owner: 204, gone from the list, still GETtable "
           "with listed false, objects still served")
    r = c.signed(owner, "DELETE", "/v1/datasets/" + ds)
    t.expect(r, 204, "DELETE")
    t.eq(r.body, b"", "204 body", r)
    j, r = listing("?limit=100")
    t.eq({x["id"] for x in j["items"]}, ids - {ds}, "list after DELETE", r)
    j, r = listing("?tag=climate")
    t.eq({x["id"] for x in j["items"]}, {extra[0]["id"]},
         "tag list after DELETE", r)
    r = c.get("/v1/datasets/" + ds)
    t.eq(t.expect_json(r, 200, "GET after DELETE").get("listed"), False,
         "listed after DELETE", r)
    t.expect_json(c.get("/v1/datasets/%s/chunks" % ds), 200,
                  "chunks after DELETE")
    man_oid = next(o for o in objects if o in {
        ch["object_id"] for ch in c.get("/v1/datasets/%s/chunks" % ds)
        .json()["chunks"]})
    t.expect(c.get("/v1/objects/" + man_oid), 200, "an object after DELETE")

    # -- edge cases on a fresh gateway ----------------------------------------
    t.step("names that share prefixes, with inner spaces and non-ASCII: "
           "sort=name pages one item at a time through all of them (the "
           "cursor carries the name; line breaks are refused in names)")
    srv2 = sh.Server(t, "edge").start()
    c2 = sh.Client(srv2)
    names = ["a b", "a  c", "a", "b \u00a0x", "plain", "\u00e9t\u00e9",
             "zz", "Zz"]
    for nm in names:
        sh.publish_dataset(t, c2, owner, {"name": nm, "format": "csv",
                                          "price": plan}, b"k\n1\n",
                           what="publish %r" % nm)
    for sort in ("name", "newest", "size", "price"):
        seen, cursor = [], None
        for _ in range(len(names) + 2):
            q = "/v1/datasets?sort=%s&limit=1" % sort
            r = c2.get(q + ("&cursor=" + cursor if cursor else ""))
            j = t.expect_json(r, 200, "sort=%s page %d" % (sort,
                                                           len(seen) + 1))
            seen += [x["name"] for x in j["items"]]
            cursor = j["next_cursor"]
            if cursor is None:
                break
        t.eq(sorted(seen), sorted(names), "sort=%s: pages of one" % sort,
             None)
        if sort == "name":
            t.eq(seen, sorted(names, key=lambda x: x.encode()),
                 "sort=name order", None)

    t.step("an empty CSV, a header-only CSV, an empty blob: published with 0 "
           "rows, 0 chunks, content_root = sha256 of nothing")
    for fmt, body in (("csv", b""), ("csv", b"a,b\n"), ("blob", b"")):
        v = sh.publish_dataset(t, c2, owner, {"name": "empty " + fmt,
                                              "format": fmt, "price": plan},
                               body, what="publish an empty %s" % fmt)
        t.eq(v.get("chunk_count"), 0, "chunk_count of an empty %s" % fmt)
        t.eq(v.get("content_root"), "0x" + hashlib.sha256(b"").hexdigest(),
             "content_root of an empty %s" % fmt)
        r = c2.get("/v1/datasets/%s/chunks" % v["id"])
        t.eq(t.expect_json(r, 200, "chunks of an empty data-set"),
             {"chunks": []}, "the manifest of an empty data-set", r)
        if fmt == "csv":
            t.eq(v.get("rows"), 0, "rows of an empty csv")
            t.eq(v.get("preview"), [], "preview of an empty csv")

    t.step("a publish that fails (a JSON Lines row that is not an object) "
           "shows state failed and a reason; the owner replaces the part and "
           "publishes again")
    d, _ = sh.create_dataset(t, c2, owner, {"name": "will fail",
                                            "format": "jsonl",
                                            "price": plan})
    sh.upload_parts(t, c2, owner, d["id"], [b'{"a": 1}\n[1, 2]\n'])
    t.expect_json(c2.signed(owner, "POST", "/v1/datasets/%s/publish" %
                            d["id"]), 202, "publish bad JSON Lines")
    for _ in range(200):
        r = c2.signed(owner, "GET", "/v1/datasets/" + d["id"])
        v = t.expect_json(r, 200, "poll the failing publish")
        if v.get("state") != "publishing":
            break
        time.sleep(0.05)
    t.eq(v.get("state"), "failed", "state of a failed publish", r)
    t.check(isinstance(v.get("reason"), str) and v["reason"] != "",
            "a failed data-set needs a reason", r)
    t.expect_problem(c2.get("/v1/datasets/" + d["id"]), 404,
                     "a failed data-set unsigned", "id")
    r = c2.signed(owner, "PUT", "/v1/datasets/%s/parts/1" % d["id"],
                  b'{"a": 1}\n{"a": 2}\n')
    t.expect_json(r, 200, "replace the part of a failed data-set")
    t.expect_json(c2.signed(owner, "POST", "/v1/datasets/%s/publish" %
                            d["id"]), 202, "publish again")
    v = sh.wait_published(t, c2, owner, d["id"], what="publish again")
    t.eq(v.get("rows"), 2, "rows after publishing again")
    t.check("reason" not in v, "a published data-set shows no reason")
    srv2.stop()

    # -- the bytes survive ----------------------------------------------------
    t.step("stop by pid (SIGTERM): exit 0, no sanitizer report; export "
           "gives back the uploaded bytes (with the replaced part 2)")
    srv.stop()
    for view, plain in ((pub, data), (jpub, jl), (bpub, blob)):
        outp = os.path.join(srv.dir, "export.bin")
        p = subprocess.run([t.sluiced, "export", "--data-dir", srv.data_dir,
                            view["id"], "-o", outp], capture_output=True)
        t.check(p.returncode == 0, "export exited %d: %s" %
                (p.returncode, p.stderr.decode(errors="replace")[-400:]))
        t.check(not sh.SANITIZER_RE.search(p.stderr.decode(errors="replace")),
                "sanitizer report from export")
        with open(outp, "rb") as fh:
            t.check(fh.read() == plain, "export of %s differs from the "
                    "uploaded bytes" % view["name"])
    t.finish()


if __name__ == "__main__":
    main()
