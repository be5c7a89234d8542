#!/usr/bin/env python3
"""What a data-set's text members and the catalogue's cursor may hold,
against a live sluiced (DESIGN.md 3.2, 3.9; issue 8, point 7).

Tables of cases, each sent as its own signed POST /v1/datasets:
- name and every tag: control characters (C0, DEL, C1), line and
  paragraph separators, bidirectional controls (U+202A-U+202E,
  U+2066-U+2069, U+200E, U+200F, U+061C) and zero-width characters
  (U+200B-U+200D, U+2060, U+FEFF) are 400 naming `name` or `tags[k]`;
  white space around them is trimmed (ASCII and Unicode spaces), and a
  name or tag that is only white space is 400; tags that trim to the same
  text are a repeat;
- description and license: control characters other than newline and tab
  are 400 naming the member; everything else printable is kept as sent;
- integer members (`preview_rows`, `chunking.bytes`, `chunking.rows`,
  `price.duration_s`) written `-0` are 400 naming the member, as any
  negative is, while `0` where 0 is allowed is accepted;
- `cursor` on GET /v1/datasets: a cursor the server gave out pages on;
  any other text (tampered key, id, sort, case, leading zeros, signs,
  non-numbers where a number belongs) is 400 naming `cursor`, never an
  empty page.
Accepted cases are read back with GET to check what was stored."""

import json
import os
import random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

PASS = {"kind": "pass", "unit_wei": "1000", "price": "5", "duration_s": 60}

# Characters refused in names and tags, with what they are.
LABEL_BAD = [
    ("\x00", "NUL"), ("\x01", "SOH"), ("\t", "tab"), ("\n", "newline"),
    ("\r", "carriage return"), ("\x1b", "ESC"), ("\x1f", "US"),
    ("\x7f", "DEL"), ("\x80", "C1 PAD"), ("\x85", "NEL"), ("\x9f", "APC"),
    ("\u2028", "line separator"), ("\u2029", "paragraph separator"),
    ("\u202a", "LRE"), ("\u202b", "RLE"), ("\u202c", "PDF"),
    ("\u202d", "LRO"), ("\u202e", "RLO"), ("\u2066", "LRI"),
    ("\u2067", "RLI"), ("\u2068", "FSI"), ("\u2069", "PDI"),
    ("\u200e", "LRM"), ("\u200f", "RLM"), ("\u061c", "ALM"),
    ("\u200b", "ZWSP"), ("\u200c", "ZWNJ"), ("\u200d", "ZWJ"),
    ("\u2060", "word joiner"), ("\ufeff", "BOM / ZWNBSP"),
]

# White space that is trimmed around names and tags (and is not refused).
SPACES = [" ", "\u00a0", "\u1680", "\u2000", "\u2003", "\u200a", "\u202f",
          "\u205f", "\u3000"]

# Characters kept as they are.
LABEL_GOOD = ["Wetter \u00fcber M\u00fcnchen", "\u6c14\u8c61\u6570\u636e",
              "\u0645\u062d\u0637\u0627\u062a", "r\u00e9sum\u00e9 \U0001f600",
              "a  b", "tab-free", "x" * 32]

# Control characters refused in descriptions and licenses (newline and
# tab are allowed there).
PROSE_BAD = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f",
             "\x85", "\x9b"]
PROSE_GOOD = ["line one\nline two\n\tindented", "\u202e kept in prose",
              "emoji \U0001f468\u200d\U0001f469\u200d\U0001f467",
              "  spaces kept  "]


def create(t, c, owner, doc):
    return c.signed(owner, "POST", "/v1/datasets",
                    json.dumps(doc, ensure_ascii=bool(random.getrandbits(1))))


def refused(t, c, owner, doc, field, what):
    r = create(t, c, owner, doc)
    t.expect_problem(r, 400, what, field=field)


def accepted(t, c, owner, doc, what):
    r = create(t, c, owner, doc)
    return t.expect_json(r, 201, what)


def main():
    t = sh.Test("test_http_validation")
    rng = random.Random(os.environ.get("SLUICE_TEST_SEED", "8"))
    random.seed(rng.random())
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    t.hush += 1

    t.step("name: %d refused characters at the start, the middle and the end "
           "(400 naming name)" % len(LABEL_BAD))
    for ch, what in LABEL_BAD:
        for name in (ch + "Name", "Na" + ch + "me", "Name" + ch, ch):
            refused(t, c, owner, {"name": name, "format": "csv"}, "name",
                    "name with %s at %d" % (what, name.index(ch)))

    t.step("tags: the same characters in tags[k] for varied k (400 naming "
           "tags[k])")
    for i, (ch, what) in enumerate(LABEL_BAD):
        k = i % 4
        tags = ["t%d" % j for j in range(k)] + ["bad" + ch + "tag"] + ["z"]
        refused(t, c, owner, {"name": "n", "format": "csv", "tags": tags},
                "tags[%d]" % k, "tag %d with %s" % (k, what))

    t.step("only white space: names and tags of every space character, "
           "alone and mixed, are 400")
    for sp in SPACES:
        refused(t, c, owner, {"name": sp * rng.randint(1, 5), "format":
                              "jsonl"}, "name", "name of U+%04X" % ord(sp))
        refused(t, c, owner, {"name": "ok", "format": "csv",
                              "tags": ["a", sp * 3]}, "tags[1]",
                "tag of U+%04X" % ord(sp))
    refused(t, c, owner, {"name": "".join(SPACES), "format": "blob"}, "name",
            "name of every space")
    refused(t, c, owner, {"name": "", "format": "csv"}, "name", "empty name")
    refused(t, c, owner, {"name": "ok", "format": "csv", "tags": [""]},
            "tags[0]", "empty tag")

    t.step("trimming: white space around names and tags goes, inner space "
           "stays; tags equal once trimmed are a repeat")
    for good in LABEL_GOOD:
        pre = "".join(rng.choice(SPACES) for _ in range(rng.randint(0, 3)))
        post = "".join(rng.choice(SPACES) for _ in range(rng.randint(0, 3)))
        tag = good[:20]
        d = accepted(t, c, owner, {"name": pre + good + post, "format": "csv",
                                   "tags": [pre + tag + post, "other"]},
                     "name %r" % good)
        t.eq(d["name"], good, "name as stored")
        t.eq(sorted(d["tags"]), sorted([tag, "other"]), "tags as stored")
        r = c.signed(owner, "GET", "/v1/datasets/" + d["id"])
        g = t.expect_json(r, 200, "GET the draft")
        t.eq((g["name"], sorted(g["tags"])), (good, sorted([tag, "other"])),
             "name and tags read back")
    refused(t, c, owner, {"name": "n", "format": "csv",
                          "tags": ["iot", "\u3000iot "]}, "tags[1]",
            "tags equal once trimmed")

    t.step("description and license: control characters other than newline "
           "and tab are 400; the rest is kept as sent")
    for member in ("description", "license"):
        for ch in PROSE_BAD:
            for text in (ch, "before " + ch, ch + " after", "a\nb" + ch):
                refused(t, c, owner, {"name": "n", "format": "csv",
                                      member: text}, member,
                        "%s with U+%04X" % (member, ord(ch)))
        for text in PROSE_GOOD:
            d = accepted(t, c, owner, {"name": "n", "format": "csv",
                                       member: text}, "%s %r" % (member, text))
            t.eq(d[member], text, "%s as stored" % member)

    t.step("integers written -0 are 400 naming the member (DESIGN.md 3.2); "
           "0 stays valid where 0 is allowed")
    base = '{"name": "n", "format": "csv"%s}'
    zero_cases = [
        (', "preview_rows": -0', "preview_rows"),
        (', "preview_rows":-0 ', "preview_rows"),
        (', "preview_rows": -0.0', "preview_rows"),
        (', "chunking": {"rows": -0}', "chunking.rows"),
        (', "chunking": {"bytes": -0}', "chunking.bytes"),
        (', "price": {"kind": "pass", "unit_wei": "1000", "price": "5", '
         '"duration_s": -0}', "price.duration_s"),
        (', "description": "-0", "preview_rows": -0', "preview_rows"),
    ]
    for extra, field in zero_cases:
        r = c.signed(owner, "POST", "/v1/datasets", base % extra)
        doc = t.expect_problem(r, 400, "%s written -0" % field, field=field)
        t.check("negative" in doc.get("detail", ""),
                "the detail of %s = -0 says it is negative: %r" %
                (field, doc.get("detail")), r)
    r = c.signed(owner, "POST", "/v1/datasets",
                 base % ', "preview_rows": 0, "description": "-0 \\"-0\\""')
    d = t.expect_json(r, 201, "preview_rows 0 and -0 inside a string")
    t.eq(d["preview_rows"], 0, "preview_rows")
    t.eq(d["description"], '-0 "-0"', "description")
    # -0 where a plan takes it: PUT price too.
    r = c.signed(owner, "PUT", "/v1/datasets/%s/price" % d["id"],
                 '{"kind": "pass", "unit_wei": "1000", "price": "5", '
                 '"duration_s": -0}')
    t.expect_problem(r, 400, "PUT price with duration_s -0",
                     field="duration_s")

    t.step("cursor: publish a few data-sets, page through every sort; each "
           "cursor given out works, and every altered one is 400")
    names = ["alpha", "Beta line", "gamma", "delta", "epsilon"]
    for i, name in enumerate(names):
        price = dict(PASS, price=str(5 + i * 3))
        sh.publish_dataset(t, c, owner, {"name": name, "format": "blob",
                                         "price": price},
                           os.urandom(100 + 997 * i), what="publish %d" % i)
    cursors = []
    for sort in ("newest", "name", "price", "size"):
        cur, seen = None, []
        while True:
            q = "/v1/datasets?sort=%s&limit=2" % sort + \
                ("&cursor=" + cur if cur else "")
            r = c.get(q)
            j = t.expect_json(r, 200, "page of sort=%s" % sort)
            t.check(len(j["items"]) > 0, "a page of a cursor given out is "
                    "never empty (sort=%s)" % sort, r)
            seen += [it["id"] for it in j["items"]]
            cur = j["next_cursor"]
            if cur is None:
                break
            cursors.append((sort, cur))
        t.eq(len(set(seen)), len(names), "sort=%s pages through every "
             "data-set once" % sort)
    t.check(len(cursors) >= 8, "cursors collected: %d" % len(cursors))

    def altered(sort, cur):
        plain = bytes.fromhex(cur).decode("utf-8")
        head, _, rest = plain.partition("\n")
        key, _, idh = rest.rpartition("\n")
        enc = (lambda s: s.encode().hex())
        out = [cur.upper(), cur[:-2], cur + "00", "0x" + cur, " " + cur,
               enc("%s\n%s\n%s" % (head, key, idh.upper())),
               enc("%s\n%s\n%s" % (head, key, idh[:-2])),
               enc("%s\n%s\n%s" % ("0" + head, key, idh)),
               enc("%s\n%s\n%s" % (head + " ", key, idh)),
               enc("%s\n%s" % (head, idh)),
               enc("%s\n%s\x00\n%s" % (head, key, idh)),
               enc("%d\n%s\n%s" % ((int(head) + 1) % 4, key, idh))]
        if sort != "name":
            out += [enc("%s\n%s\n%s" % (head, k, idh)) for k in
                    ("abc", "", "+" + key, "0" + key, key + " ", key + "x",
                     "1e999", "nan", "-" + key if sort == "size" else "--1")]
        return out

    t.step("cursor: %d cursors given out, each altered in about 20 ways" %
           len(cursors))
    n = 0
    for sort, cur in cursors:
        r = c.get("/v1/datasets?sort=%s&limit=2&cursor=%s" % (sort, cur))
        t.expect_json(r, 200, "a cursor given out, again")
        for bad in altered(sort, cur):
            r = c.get("/v1/datasets?sort=%s&limit=2&cursor=%s" %
                      (sort, bad.replace(" ", "%20")))
            t.expect_problem(r, 400, "altered cursor %r" % bad[:40],
                             field="cursor")
            n += 1
        other = [s for s in ("newest", "name", "price", "size") if s != sort]
        r = c.get("/v1/datasets?sort=%s&cursor=%s" % (rng.choice(other), cur))
        t.expect_problem(r, 400, "a cursor of another sort", field="cursor")
    for bad in ("", "zz", "0", "00", "ab" * 300, "%00", "30"):
        r = c.get("/v1/datasets?cursor=" + bad)
        t.expect_problem(r, 400, "cursor %r" % bad[:20], field="cursor")
    t.step("  %d altered cursors refused" % n)
    t.hush -= 1
    t.finish()


if __name__ == "__main__":
    main()
