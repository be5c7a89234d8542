#!/usr/bin/env python3
"""Who may do what, and what input is refused, against a live sluiced
(DESIGN.md 3.2, 3.9): drafts are invisible (404) to anyone but their
owner, published data-sets cannot be changed by others (403); unknown
routes, wrong methods, oversized bodies, malformed JSON, duplicate keys,
unknown fields, non-integers, amounts as numbers and malformed ids are
problems that name the field; path traversal never reaches a file outside
the page's allow-list; the page is served with its Content-Security-Policy.
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

MARK = "sluice-access-secret-7f3a9"


def make_web(t):
    """A page folder with files on and off the allow-list, and a secret
    beside it that a traversal would reach."""
    root = os.path.join(t.tmp, "site")
    web = os.path.join(root, "web")
    os.makedirs(os.path.join(web, "sub"))
    files = {
        "index.html": "<!doctype html><title>sluice</title><p>buy data</p>",
        "app.js": "console.log('sluice');",
        "style.css": "p { color: black }",
        "notes.md": "not on the list " + MARK,
        ".secret.html": "hidden " + MARK,
        "sub/inner.html": "nested " + MARK,
    }
    for name, text in files.items():
        with open(os.path.join(web, name), "w") as fh:
            fh.write(text)
    with open(os.path.join(root, "outside.html"), "w") as fh:
        fh.write("outside " + MARK)
    os.symlink(os.path.join(root, "outside.html"),
               os.path.join(web, "link.html"))
    return web, files


def main():
    t = sh.Test("test_http_access")
    web, files = make_web(t)
    srv = sh.Server(t, "gw", web_dir=web).start()
    with open(os.path.join(srv.data_dir, "secret.txt"), "w") as fh:
        fh.write(MARK)
    with open(os.path.join(srv.data_dir, "master.key"), "rb") as fh:
        master = fh.read()
    c = sh.Client(srv)
    owner, other = sh.Account(), sh.Account()
    plan = dict(sh.METERED)

    # -- drafts and published data-sets ------------------------------------
    draft, _ = sh.create_dataset(t, c, owner, {"name": "mine",
                                               "format": "csv",
                                               "price": plan})
    did = draft["id"]
    r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/1" % did, b"a,b\n1,2\n")
    t.expect_json(r, 200, "owner PUT part 1")
    t.step("another signer cannot see or touch the owner's draft: 404 for "
           "GET, GET parts, GET chunks, PUT part, PUT price, publish, DELETE")
    for method, tgt, body in (
            ("GET", "/v1/datasets/" + did, b""),
            ("GET", "/v1/datasets/%s/parts" % did, b""),
            ("GET", "/v1/datasets/%s/chunks" % did, b""),
            ("PUT", "/v1/datasets/%s/parts/1" % did, b"x,y\n"),
            ("PUT", "/v1/datasets/%s/price" % did, json.dumps(plan)),
            ("POST", "/v1/datasets/%s/publish" % did, b""),
            ("DELETE", "/v1/datasets/" + did, b"")):
        r = c.signed(other, method, tgt, body)
        t.expect_problem(r, 404, "%s %s by another signer" % (method, tgt),
                         "id")
    for tgt in ("/v1/datasets/" + did, "/v1/datasets/%s/chunks" % did):
        t.expect_problem(c.get(tgt), 404, "GET %s unsigned" % tgt, "id")
    r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % did)
    t.eq(len(t.expect_json(r, 200, "owner GET parts")["parts"]), 1,
         "the owner's part 1 is untouched")

    pub = sh.publish_dataset(t, c, owner, {"name": "public",
                                           "format": "csv", "price": plan},
                             b"k,v\n1,2\n3,4\n", what="publish")
    pid = pub["id"]
    t.step("another signer cannot change a published data-set: 403 for PUT "
           "price, DELETE, PUT part, publish, GET parts; GET is 200")
    for method, tgt, body in (
            ("PUT", "/v1/datasets/%s/price" % pid, json.dumps(plan)),
            ("DELETE", "/v1/datasets/" + pid, b""),
            ("PUT", "/v1/datasets/%s/parts/2" % pid, b"5,6\n"),
            ("POST", "/v1/datasets/%s/publish" % pid, b""),
            ("GET", "/v1/datasets/%s/parts" % pid, b"")):
        r = c.signed(other, method, tgt, body)
        t.expect_problem(r, 403, "%s %s by another signer" % (method, tgt),
                         "id")
    t.expect_json(c.signed(other, "GET", "/v1/datasets/" + pid), 200,
                  "GET the published data-set as another signer")
    r = c.get("/v1/datasets/" + pid)
    t.eq(t.expect_json(r, 200, "GET after the refusals").get("listed"), True,
         "still listed after another signer's DELETE", r)
    t.step("the owner may still change the price of a published data-set")
    r = c.signed(owner, "PUT", "/v1/datasets/%s/price" % pid,
                 json.dumps(dict(plan, per_query="99")))
    t.eq(t.expect_json(r, 200, "owner PUT price on a published data-set")
         ["price"]["per_query"], "99", "the new price", r)

    # -- routes and methods --------------------------------------------------
    t.step("unknown routes: 404 problem+json")
    for tgt in ("/v2/datasets", "/v1/datasets/%s/nothing" % pid,
                "/v1/objects", "/v1/objects/", "/v1/datasets/",
                "/healthz/x", "/nothing-here.html"):
        t.expect_problem(c.get(tgt), 404, "GET %s" % tgt)
    t.step("wrong methods: 405 problem+json with Allow")
    for method, tgt, allow in (
            ("DELETE", "/v1/datasets", {"GET", "HEAD", "POST"}),
            ("POST", "/healthz", {"GET", "HEAD"}),
            ("PATCH", "/v1/datasets/" + pid, {"GET", "HEAD", "DELETE"}),
            ("PUT", "/v1/datasets/%s/publish" % pid, {"POST"}),
            ("OPTIONS", "/v1/objects/" + "a" * 64, {"GET", "HEAD"}),
            ("POST", "/v1/datasets/%s/parts/1" % pid, {"PUT"})):
        r = c.send(method, tgt, b"")
        t.expect_problem(r, 405, "%s %s" % (method, tgt))
        got = {m.strip() for m in (r.header("Allow") or "").split(",")
               if m.strip()}
        t.eq(got, allow, "Allow of %s %s" % (method, tgt), r)
    t.step("every GET route answers HEAD, without a body")
    for tgt in ("/healthz", "/v1/datasets", "/v1/datasets/" + pid,
                "/v1/datasets/%s/chunks" % pid, "/"):
        r = c.send("HEAD", tgt)
        t.expect(r, 200, "HEAD %s" % tgt)
        t.eq(r.body, b"", "HEAD %s body" % tgt, r)
    t.step("a body on a route that takes none: 400")
    t.expect_problem(c.send("GET", "/healthz", b"hello"), 400,
                     "GET /healthz with a body")

    # -- JSON bodies ----------------------------------------------------------
    t.step("malformed JSON bodies on create: 400")
    for what, body in (("empty", b""), ("not JSON", b"{name"),
                       ("truncated", b'{"name": "x", "format": "csv"'),
                       ("an array", b"[]"), ("null", b"null"),
                       ("a string", b'"x"'),
                       ("trailing garbage",
                        b'{"name": "x", "format": "csv"} x'),
                       ("invalid UTF-8",
                        b'{"name": "\xff\xfe", "format": "csv"}'),
                       ("a NUL escape",
                        b'{"name": "a\\u0000b", "format": "csv"}')):
        r = c.signed(owner, "POST", "/v1/datasets", body)
        t.expect_problem(r, 400, "create with a body that is %s" % what)

    t.step("create: duplicate keys, unknown fields, wrong types, "
           "non-integers and amounts as numbers: 400 naming the field")
    base = {"name": "x", "format": "csv"}
    cases = [
        ("duplicate key", b'{"name": "a", "name": "b", "format": "csv"}',
         "name"),
        ("duplicate key inside price",
         b'{"name": "a", "format": "csv", "price": {"kind": "metered", '
         b'"per_query": "1", "per_query": "2"}}', "price.per_query"),
        ("unknown field", dict(base, colour="red"), "colour"),
        ("unknown chunking member", dict(base, chunking={"lines": 5}),
         "chunking.lines"),
        ("name missing", {"format": "csv"}, "name"),
        ("format missing", {"name": "x"}, "format"),
        ("format unknown", dict(base, format="xml"), "format"),
        ("name a number", dict(base, name=5), "name"),
        ("name empty", dict(base, name=""), "name"),
        ("tags a string", dict(base, tags="x"), "tags"),
        ("preview_rows 1.0", b'{"name": "x", "format": "csv", '
         b'"preview_rows": 1.0}', "preview_rows"),
        ("preview_rows 1e3", b'{"name": "x", "format": "csv", '
         b'"preview_rows": 1e3}', "preview_rows"),
        ("preview_rows negative", dict(base, preview_rows=-1),
         "preview_rows"),
        ("preview_rows above 2^53", dict(base, preview_rows=2**53 + 1),
         "preview_rows"),
        ("preview_rows a string", dict(base, preview_rows="3"),
         "preview_rows"),
        ("chunking.rows 1.0", b'{"name": "x", "format": "csv", '
         b'"chunking": {"rows": 1.0}}', "chunking.rows"),
        ("chunking.bytes 1e6", b'{"name": "x", "format": "csv", '
         b'"chunking": {"bytes": 1e6}}', "chunking.bytes"),
        ("price amount as a JSON number",
         dict(base, price={"kind": "metered", "per_query": 5}),
         "price.per_query"),
        ("price unit_wei as a JSON number",
         dict(base, price={"kind": "metered", "per_query": "5",
                           "unit_wei": 1000}), "price.unit_wei"),
        ("price amount with a leading zero",
         dict(base, price={"kind": "metered", "per_query": "05"}),
         "price.per_query"),
        ("price amount negative",
         dict(base, price={"kind": "metered", "per_query": "-5"}),
         "price.per_query"),
        ("pass duration_s as a string",
         dict(base, price={"kind": "pass", "price": "10",
                           "duration_s": "60"}), "price.duration_s"),
        ("pass duration_s 60.0", b'{"name": "x", "format": "csv", "price": '
         b'{"kind": "pass", "price": "10", "duration_s": 60.0}}',
         "price.duration_s"),
        ("plan kind unknown", dict(base, price={"kind": "rent"}),
         "price.kind"),
        ("plan member of the other kind",
         dict(base, price={"kind": "pass", "price": "1", "duration_s": 60,
                           "per_query": "1"}), "price.per_query"),
    ]
    for what, body, field in cases:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        r = c.signed(owner, "POST", "/v1/datasets", body)
        t.expect_problem(r, 400, "create with %s" % what, field)
    t.step("PUT price and publish bodies: the same rules")
    for what, body, field in (
            ("an amount as a number", {"kind": "metered", "per_query": 1},
             "per_query"),
            ("an unknown member", {"kind": "metered", "per_query": "1",
                                   "per_day": "1"}, "per_day"),
            ("duplicate kind", b'{"kind": "metered", "kind": "pass"}',
             "kind")):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        r = c.signed(owner, "PUT", "/v1/datasets/%s/price" % did, body)
        t.expect_problem(r, 400, "PUT price with %s" % what, field)
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % did, b'{"x": 1}')
    t.expect_problem(r, 400, "publish with an unknown member", "x")
    r = c.signed(owner, "GET", "/v1/datasets/" + did)
    t.eq(t.expect_json(r, 200, "GET the draft").get("state"), "uploading",
         "the draft is untouched by the refused requests", r)

    # -- ids ------------------------------------------------------------------
    t.step("malformed data-set ids: 400 naming id (GET, and signed routes)")
    hexid = pid[2:]
    for bad in (hexid, "0x1234", "0x" + "zz" * 32, "0x" + hexid + "ab",
                "0x" + hexid[:-1], "0X" + hexid, "1x" + hexid):
        t.expect_problem(c.get("/v1/datasets/" + bad), 400,
                         "GET /v1/datasets/%s" % bad[:20], "id")
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/1" % bad, b"x")
        t.expect_problem(r, 400, "PUT a part of %s" % bad[:20], "id")
        r = c.signed(owner, "DELETE", "/v1/datasets/" + bad)
        t.expect_problem(r, 400, "DELETE %s" % bad[:20], "id")
    t.step("an id in upper-case hex is the same id; an unknown id is 404")
    r = c.get("/v1/datasets/0x" + hexid.upper())
    t.eq(t.expect_json(r, 200, "GET with an upper-case id").get("id"), pid,
         "the id comes back lower-case", r)
    t.expect_problem(c.get("/v1/datasets/0x" + "ab" * 32), 404,
                     "GET an unknown id", "id")
    t.step("malformed object ids: 400 naming object_id")
    oid = c.get("/v1/datasets/%s/chunks" % pid).json()["chunks"][0][
        "object_id"]
    for bad in ("0x" + oid, oid.upper(), oid[:-1], oid + "0", "z" * 64):
        t.expect_problem(c.get("/v1/objects/" + bad), 400,
                         "GET /v1/objects/%s" % bad[:20], "object_id")
    t.step("malformed part numbers: 400 naming n")
    for n in ("0", "01", "-1", "abc", "100001", "1.0", "1e3", "+1"):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%s" % (did, n),
                     b"x")
        t.expect_problem(r, 400, "PUT part %r" % n, "n")

    # -- traversal ------------------------------------------------------------
    t.step("path traversal never serves a file outside the allow-list")
    attempts = [
        "/v1/objects/../../master.key", "/v1/objects/../sluice.db",
        "/../master.key", "/../../etc/passwd", "/%2e%2e/master.key",
        "/%2e%2e%2fmaster.key", "/..%2f..%2fetc%2fpasswd",
        "/v1/objects/%2e%2e%2f%2e%2e%2fmaster.key",
        "/v1/objects/..%2Fsecret.txt", "//etc/passwd", "//master.key",
        "/v1//objects/" + oid, "/v1/objects//" + oid,
        "/v1/objects/" + oid + "/..", "/v1/objects/" + oid + "%2f..",
        "/master.key", "/sluice.db", "/secret.txt", "/sluiced.lock",
        "/link.html", "/.secret.html", "/notes.md", "/sub/inner.html",
        "/sub%2finner.html", "/./index.html/../notes.md",
        "/index.html/..", "/..", "/.", "/%00index.html",
        "/index.html%00.md", "/web/index.html", "/../site/outside.html",
        "/outside.html", "\\..\\master.key",
    ]
    for tgt in attempts:
        r = c.get(tgt)
        if r.status is None:
            continue   # the request line itself was refused
        leaked = MARK.encode() in r.body or master in r.body or \
            b"SQLite format 3" in r.body or b"root:" in r.body
        t.check(not leaked, "GET %s returned a file outside the allow-list"
                % tgt, r)
        t.check(400 <= r.status < 500, "GET %s: expected a 4xx, got %s" %
                (tgt, r.status), r)
        t.expect_problem(r, r.status, "GET %s" % tgt)

    # -- the page -------------------------------------------------------------
    t.step("GET / is index.html with a Content-Security-Policy; other "
           "listed files by name; anything else 404")
    for tgt in ("/", "/index.html"):
        r = c.get(tgt)
        t.expect(r, 200, "GET %s" % tgt)
        t.eq(r.body, files["index.html"].encode(), "body of GET %s" % tgt, r)
        t.check((r.header("Content-Type") or "").startswith("text/html"),
                "GET %s Content-Type is text/html" % tgt, r)
        csp = r.header("Content-Security-Policy") or ""
        t.check(re.search(r"default-src", csp) is not None,
                "GET %s needs a Content-Security-Policy, has %r" % (tgt, csp),
                r)
    r = c.get("/app.js")
    t.expect(r, 200, "GET /app.js")
    t.eq(r.body, files["app.js"].encode(), "body of /app.js", r)
    t.check("javascript" in (r.header("Content-Type") or ""),
            "/app.js Content-Type", r)
    t.expect(c.get("/style.css"), 200, "GET /style.css")
    for tgt in ("/nothere.html", "/notes.md", "/.secret.html", "/link.html",
                "/sub/inner.html", "/INDEX.HTML"):
        t.expect_problem(c.get(tgt), 404, "GET %s" % tgt)

    t.step("a gateway without a page: GET / is 404")
    bare = sh.Server(t, "bare").start()
    t.expect_problem(sh.Client(bare).get("/"), 404, "GET / without a page")
    bare.stop()

    # -- size limits ----------------------------------------------------------
    t.step("a gateway with --max-json-body 1K --max-part-bytes 8K: 413 "
           "problems above each, both below and above the parser's limit")
    small = sh.Server(t, "small", args=["--max-json-body", "1K",
                                        "--max-part-bytes", "8K"]).start()
    s = sh.Client(small)
    d, _ = sh.create_dataset(t, s, owner, {"name": "small", "format": "blob"})
    big = json.dumps({"name": "x", "format": "csv",
                      "description": "d" * 2000})
    t.expect_problem(s.signed(owner, "POST", "/v1/datasets", big), 413,
                     "a 2 KB JSON body")
    huge = json.dumps({"name": "x", "format": "csv",
                       "description": "d" * 20000})
    t.expect_problem(s.signed(owner, "POST", "/v1/datasets", huge), 413,
                     "a 20 KB JSON body (above every route's limit)")
    tgt = "/v1/datasets/%s/parts/1" % d["id"]
    t.expect_json(s.signed(owner, "PUT", tgt, b"p" * 8192), 200,
                  "a part of exactly 8 KiB")
    t.expect_problem(s.signed(owner, "PUT", tgt, b"p" * 8193), 413,
                     "a part of 8 KiB + 1")
    t.expect_problem(s.signed(owner, "PUT", tgt, b"p" * 12000), 413,
                     "a part of 12 KB")
    r = s.signed(owner, "GET", "/v1/datasets/%s/parts" % d["id"])
    t.eq(t.expect_json(r, 200, "GET parts")["parts"][0]["bytes"], 8192,
         "the refused parts replaced nothing", r)
    t.expect_json(s.get("/healthz"), 200, "healthz after the 413s")
    small.stop()

    # libevent 2.1 answers what its parser refuses before a request reaches
    # the gateway (an oversized header block, a method it does not know)
    # with its own text/html page; docs/API.md says so. The status is right.
    t.step("headers larger than --max-header-bytes: a 4xx from the parser")
    r = c.send("GET", "/healthz", headers={"X-Big": "a" * 20000})
    t.expect(r, (400, 413, 431), "a 20 KB header")
    t.step("methods the gateway does not know (TRACE, FOO): 405 or 501")
    for m in ("TRACE", "FOO"):
        t.expect(c.send(m, "/healthz"), (405, 501), "%s /healthz" % m)
    t.finish()


if __name__ == "__main__":
    main()
