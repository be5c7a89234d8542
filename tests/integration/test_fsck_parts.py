#!/usr/bin/env python3
"""`sluiced fsck` checks published content against the parts its publish
recorded, and part files against their rows (issue 8, point 1).

Publishes data-sets of every format in varied numbers of parts (an empty
part among them, a CSV with a BOM, a header and blank lines), stops the
server, and checks that fsck is clean; then tampers with one thing at a
time and checks that fsck reports exactly that as damage (exit 1), and is
clean again once it is undone:
- a recorded SHA-256 (one bit of one part, for several parts);
- recorded sizes that still add up (bytes moved from one part to the next);
- a recorded part dropped, a part added;
- a part file left on disk for a published data-set (as a crash between
  ingest and clean-up leaves it): the right bytes are clean, a flipped
  byte, a truncation or an extra byte are damage;
- a draft's part file changed or removed (damage, missing), and a stray
  file beside it (an orphan: reported, not damage);
- a database from before the recorded lists (schema 3): the migration
  records each published data-set's parts rows, so a part row that no
  longer matches what was published (what the old race left) is damage.
"""

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

PLAN = {"kind": "metered", "unit_wei": "1000000000", "per_query": "1"}


def fsck(t, srv):
    p = subprocess.run([t.sluiced, "fsck", "--data-dir", srv.data_dir],
                       capture_output=True)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def expect_clean(t, srv, what):
    rc, out, err = fsck(t, srv)
    bad = [ln for ln in out.splitlines()
           if ln.startswith(("damaged", "missing", "orphan"))]
    t.check(rc == 0 and not bad, "%s: fsck should be clean, exit %d: %s %s" %
            (what, rc, out, err))
    t.check(" 0 parts not as recorded," in err,
            "%s: fsck summary: %s" % (what, err))


def expect_damage(t, srv, what, pattern):
    rc, out, err = fsck(t, srv)
    t.check(rc == 1, "%s: fsck should exit 1, exit %d: %s %s" %
            (what, rc, out, err))
    t.check(any(pattern in ln for ln in out.splitlines()),
            "%s: fsck should report %r; it said: %s" % (what, pattern, out))
    t.check(" 0 parts not as recorded," not in err,
            "%s: the summary counts the parts: %s" % (what, err))


def split(data, nparts, rng):
    """data in nparts pieces cut at random places (some may be empty)."""
    cuts = sorted(rng.randint(0, len(data)) for _ in range(nparts - 1))
    pieces, last = [], 0
    for c in cuts + [len(data)]:
        pieces.append(data[last:c])
        last = c
    return pieces


def publish(t, c, owner, fmt, pieces, name):
    d, _ = sh.create_dataset(t, c, owner, {"name": name, "format": fmt,
                                           "price": PLAN}, "create " + name)
    sh.upload_parts(t, c, owner, d["id"], pieces, name)
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % d["id"])
    t.expect_json(r, 202, "publish " + name)
    sh.wait_published(t, c, owner, d["id"], what=name)
    return d["id"]


def db_rw(srv):
    return sqlite3.connect(os.path.join(srv.data_dir, "sluice.db"),
                           timeout=10, isolation_level=None)


def main():
    t = sh.Test("test_fsck_parts")
    rng = random.Random(int(os.environ.get("SLUICE_TEST_SEED", "0")) or None)
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    t.hush += 1

    t.step("publish CSV (BOM, header, blank lines), JSON Lines and blobs in "
           "1 to 6 parts, an empty part among them")
    rows = "".join("%d,name %d,%s\n" % (i, i, "x" * rng.randint(0, 80))
                   for i in range(400))
    csv = ("\ufeffid,name,pad\n\n" + rows + "\n\n").encode()
    jsonl = b"".join(json.dumps({"i": i, "s": "v" * (i % 37)}).encode() +
                     b"\n" for i in range(300))
    blob = os.urandom(150000)
    sets = {}
    for fmt, data, n in (("csv", csv, 5), ("jsonl", jsonl, 3),
                         ("blob", blob, 6), ("blob", blob[:7], 1),
                         ("csv", b"a,b\n", 2)):
        pieces = split(data, n, rng)
        if n >= 3:
            pieces.insert(1, b"")  # an empty part
        ds = publish(t, c, owner, fmt, pieces, "%s in %d" % (fmt,
                                                             len(pieces)))
        sets[ds] = pieces

    t.step("a draft with parts, one of them shared by two part numbers")
    d, _ = sh.create_dataset(t, c, owner, {"name": "draft", "format": "blob"})
    draft = d["id"]
    dparts = [os.urandom(5000), b"same", b"same", os.urandom(10)]
    sh.upload_parts(t, c, owner, draft, dparts, "draft")
    srv.stop()
    expect_clean(t, srv, "as published")

    db = db_rw(srv)
    uploads = os.path.join(srv.data_dir, "uploads")

    t.step("tamper with a recorded SHA-256: one bit of part k (every k of "
           "one data-set, one k of the others) is damage")
    for ds, pieces in sets.items():
        ks = range(1, len(pieces) + 1) if len(pieces) == 7 else \
            [rng.randint(1, len(pieces))]
        for k in ks:
            (sha,) = db.execute(
                "SELECT sha256 FROM dataset_published_parts WHERE "
                "dataset_id = ? AND n = ?", (bytes.fromhex(ds[2:]), k)).fetchone()
            bad = bytearray(sha)
            bad[rng.randrange(32)] ^= 1 << rng.randrange(8)
            db.execute("UPDATE dataset_published_parts SET sha256 = ? WHERE "
                       "dataset_id = ? AND n = ?",
                       (bytes(bad), bytes.fromhex(ds[2:]), k))
            expect_damage(t, srv, "%s part %d hash" % (ds[:10], k),
                          "damaged parts dataset %s part %d:" % (ds, k))
            db.execute("UPDATE dataset_published_parts SET sha256 = ? WHERE "
                       "dataset_id = ? AND n = ?",
                       (sha, bytes.fromhex(ds[2:]), k))
    expect_clean(t, srv, "hashes restored")

    t.step("tamper with recorded sizes that still add up, drop a part, add "
           "a part")
    ds = next(k for k, v in sets.items() if len(v) == 7)
    bid = bytes.fromhex(ds[2:])
    # Two neighbours k, k + 1 with a few bytes each.
    k = next(i for i in range(1, 7) if len(sets[ds][i - 1]) > 3 and
             len(sets[ds][i]) > 3)
    other = k + 1
    for delta in (1, -1, 3):
        db.execute("UPDATE dataset_published_parts SET bytes = bytes + ? "
                   "WHERE dataset_id = ? AND n = ?", (delta, bid, k))
        db.execute("UPDATE dataset_published_parts SET bytes = bytes - ? "
                   "WHERE dataset_id = ? AND n = ?", (delta, bid, other))
        expect_damage(t, srv, "sizes moved by %d" % delta,
                      "damaged parts dataset %s part %d:" % (ds, k))
        db.execute("UPDATE dataset_published_parts SET bytes = bytes - ? "
                   "WHERE dataset_id = ? AND n = ?", (delta, bid, k))
        db.execute("UPDATE dataset_published_parts SET bytes = bytes + ? "
                   "WHERE dataset_id = ? AND n = ?", (delta, bid, other))
    row = db.execute("SELECT n, bytes, sha256 FROM dataset_published_parts "
                     "WHERE dataset_id = ? AND n = 7", (bid,)).fetchone()
    db.execute("DELETE FROM dataset_published_parts WHERE dataset_id = ? AND "
               "n = 7", (bid,))
    expect_damage(t, srv, "the last part dropped",
                  "goes on past the last part")
    db.execute("INSERT INTO dataset_published_parts VALUES (?, ?, ?, ?)",
               (bid,) + row)
    db.execute("INSERT INTO dataset_published_parts VALUES (?, 8, 1, ?)",
               (bid, hashlib.sha256(b"x").digest()))
    expect_damage(t, srv, "a part added", "part 8: the published content "
                  "does not match the part recorded: the content ends")
    db.execute("DELETE FROM dataset_published_parts WHERE dataset_id = ? AND "
               "n = 8", (bid,))
    expect_clean(t, srv, "sizes and parts restored")

    t.step("a part file left on disk for a published data-set: the right "
           "bytes are clean; a flipped byte, a cut or an extra byte is "
           "damage")
    for ds, pieces in sets.items():
        k = max(range(len(pieces)), key=lambda i: len(pieces[i])) + 1
        data = pieces[k - 1]
        folder = os.path.join(uploads, ds[2:])
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hashlib.sha256(data).hexdigest())
        with open(path, "wb") as fh:
            fh.write(data)
        expect_clean(t, srv, "%s: the right bytes left over" % ds[:10])
        for what, bad in (("a flipped byte", None), ("a cut", data[:-1]),
                          ("an extra byte", data + b"\n")):
            if bad is None:
                b = bytearray(data)
                b[rng.randrange(len(b))] ^= 0x20
                bad = bytes(b)
            with open(path, "wb") as fh:
                fh.write(bad)
            expect_damage(t, srv, "%s: %s" % (ds[:10], what),
                          "damaged part-file %s/%s dataset %s part %d" %
                          (ds[2:], os.path.basename(path), ds, k))
        os.unlink(path)
        os.rmdir(folder)
    expect_clean(t, srv, "left-over files removed")

    t.step("a draft's part files: changed (damage), removed (missing), a "
           "stray file beside them (an orphan, not damage)")
    folder = os.path.join(uploads, draft[2:])
    p1 = os.path.join(folder, hashlib.sha256(dparts[0]).hexdigest())
    with open(p1, "r+b") as fh:
        fh.write(b"Z")
    expect_damage(t, srv, "a draft's part changed",
                  "damaged part-file %s/" % draft[2:])
    with open(p1, "wb") as fh:
        fh.write(dparts[0])
    shared = os.path.join(folder, hashlib.sha256(b"same").hexdigest())
    os.rename(shared, shared + ".moved")
    rc, out, err = fsck(t, srv)
    t.check(rc == 1 and out.count("missing part-file %s/" % draft[2:]) == 2,
            "a file two parts share, removed: both parts missing: %s" % out)
    os.rename(shared + ".moved", shared)
    with open(os.path.join(folder, "0" * 64 + ".Ab12Cd"), "wb") as fh:
        fh.write(b"partial")
    rc, out, err = fsck(t, srv)
    t.check(rc == 0 and "orphan part-file %s/%s" % (draft[2:], "0" * 64 +
                                                     ".Ab12Cd") in out and
            " 1 orphan part files," in err,
            "a stray file is an orphan, not damage: %d %s %s" % (rc, out, err))
    os.unlink(os.path.join(folder, "0" * 64 + ".Ab12Cd"))
    with open(os.path.join(uploads, "not-a-dataset"), "wb") as fh:
        fh.write(b"x")
    rc, out, err = fsck(t, srv)
    t.check(rc == 0 and "orphan part-file not-a-dataset" in out,
            "a stray entry of uploads/: %d %s" % (rc, out))
    os.unlink(os.path.join(uploads, "not-a-dataset"))
    expect_clean(t, srv, "draft restored")

    t.step("a database of schema 3 (before recorded lists): the migration "
           "records the parts rows; a row changed after publishing (what the "
           "old race left) is damage")
    # Undo the migrations after 3 that this test knows of.
    undo = {4: ["DROP TABLE dataset_published_parts"],
            5: ["DROP INDEX datasets_owner_state",
                "ALTER TABLE datasets DROP COLUMN touched_at"],
            6: ["DROP INDEX chunks_first_row", "DROP TABLE price_history"],
            7: ["DROP INDEX datasets_list_newest", "DROP INDEX datasets_list_name",
                "DROP INDEX datasets_list_price", "DROP INDEX datasets_list_size"]}
    (v,) = db.execute("PRAGMA user_version").fetchone()
    t.check(v <= max(undo), "schema %d: teach this test to undo the "
            "migrations after %d" % (v, max(undo)))
    for m in range(v, 3, -1):
        for stmt in undo[m]:
            db.execute(stmt)
    db.execute("PRAGMA user_version = 3")
    ds = next(k for k, v in sets.items() if len(v) == 4)
    db.execute("UPDATE dataset_parts SET sha256 = ?, bytes = 5 WHERE "
               "dataset_id = ? AND n = 2",
               (hashlib.sha256(b"later").digest(), bytes.fromhex(ds[2:])))
    db.close()
    expect_damage(t, srv, "after the migration", "damaged parts dataset %s "
                  "part 2:" % ds)
    db = db_rw(srv)
    (v,) = db.execute("PRAGMA user_version").fetchone()
    t.check(v >= 4, "the migration ran: schema %d" % v)
    (n,) = db.execute("SELECT count(*) FROM dataset_published_parts")\
        .fetchone()
    t.eq(n, sum(len(p) for p in sets.values()), "parts recorded by the "
         "migration (published data-sets only)")
    db.close()
    t.hush -= 1
    t.finish()


if __name__ == "__main__":
    main()
