#!/usr/bin/env python3
"""Disk left behind by drafts (issue 8, point 6): against a live sluiced,
uploads/<id>/ must hold exactly one file per distinct part that the rows
name, whatever happens.

- Replacing parts many times, one at a time and many at once, with bodies
  drawn from a small pool so that part numbers often share bytes (and so
  a file): after each phase the folder holds exactly the files of the
  parts listed. Through a failed publish (the parts stay, may be replaced,
  and publishing again takes them) and a good one (the folder goes).
- kill -9 while many large parts are being written, after varied delays,
  over several rounds: after the restart every folder holds exactly the
  files its rows name (no temporary file of a cut-off write), and fsck is
  clean.
- What a crash or an older version could leave, made by hand while the
  server is stopped: temporary and unnamed files in a draft's folder, a
  part file of a published data-set, a folder of a data-set that does not
  exist, a stray file at the top: the next start removes each, and keeps
  every file a row names.
"""

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402

PLAN = {"kind": "metered", "unit_wei": "1000000000", "per_query": "1"}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def listed(t, c, owner, ds):
    r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % ds)
    return t.expect_json(r, 200, "GET parts")["parts"]


def on_disk(srv, ds):
    folder = os.path.join(srv.data_dir, "uploads", ds[2:])
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else None


def check_folder(t, srv, c, owner, ds, what):
    parts = listed(t, c, owner, ds)
    want = sorted({p["sha256"][2:] for p in parts})
    got = on_disk(srv, ds)
    if not want:
        t.check(got is None or got == [], "%s: no part, no file: %r" %
                (what, got))
    else:
        t.eq(got, want, "%s: uploads/<id>/ holds one file per distinct part"
             % what)
    return parts


def put_many(c, owner, jobs, prepared=None, answered=None):
    """PUT each (ds, n, body) on its own thread; return the responses.
    answered (a threading.Event) is set at the first 200."""
    out = [None] * len(jobs)
    if prepared is None:
        prepared = [c.prepare(owner, "PUT", "/v1/datasets/%s/parts/%d" %
                              (ds, n), body) for ds, n, body in jobs]

    def one(i):
        out[i] = c.send_prepared(prepared[i], timeout=120)
        if answered is not None and out[i].status == 200:
            answered.set()

    ths = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    return out


def fsck_clean(t, srv, what):
    p = subprocess.run([t.sluiced, "fsck", "--data-dir", srv.data_dir],
                       capture_output=True)
    out = p.stdout.decode(errors="replace")
    t.check(p.returncode == 0 and not any(
        ln.startswith(("damaged", "missing", "orphan"))
        for ln in out.splitlines()),
        "%s: fsck not clean (exit %d): %s %s" %
        (what, p.returncode, out, p.stderr.decode(errors="replace")))


def main():
    t = sh.Test("test_http_drafts_disk")
    rng = random.Random(int(os.environ.get("SLUICE_TEST_SEED", "0")) or None)
    srv = sh.Server(t, "gw").start()
    c = sh.Client(srv)
    owner = sh.Account()
    t.hush += 1

    # -- replacing ---------------------------------------------------------
    t.step("replace parts one at a time, 8 phases of random parts with "
           "bodies from a pool of 5 (parts share bytes often)")
    d, _ = sh.create_dataset(t, c, owner, {"name": "replace",
                                           "format": "jsonl", "price": PLAN})
    ds = d["id"]
    pool = [b'{"v":%d,"pad":"%s"}\n' % (i, b"p" * rng.randint(0, 30000))
            for i in range(5)]
    for phase in range(8):
        for _ in range(rng.randint(1, 8)):
            n = rng.randint(1, 4)
            r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n),
                         rng.choice(pool))
            t.expect_json(r, 200, "PUT part %d" % n)
        parts = check_folder(t, srv, c, owner, ds, "phase %d" % phase)
    t.step("  %d parts listed, %d distinct files" %
           (len(parts), len(on_disk(srv, ds))))

    t.step("replace parts many at once: 5 bursts of 6 to 30 concurrent PUTs "
           "on parts 1 to 4 (the same part often), then check the folder")
    for burst in range(5):
        jobs = [(ds, rng.randint(1, 4), rng.choice(pool))
                for _ in range(rng.randint(6, 30))]
        for r in put_many(c, owner, jobs):
            t.expect_json(r, 200, "a concurrent PUT")
        check_folder(t, srv, c, owner, ds, "burst %d" % burst)

    t.step("a failed publish keeps the parts; replaced, they follow the "
           "rows; a good publish takes them and the folder goes")
    r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/2" % ds,
                 b"not json\n")
    t.expect_json(r, 200, "PUT a bad part 2")
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_json(r, 202, "publish")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = c.signed(owner, "GET", "/v1/datasets/" + ds)
        if r.json().get("state") == "failed":
            break
        time.sleep(0.05)
    t.eq(r.json().get("state"), "failed", "state after a bad part")
    check_folder(t, srv, c, owner, ds, "after the failed publish")
    for n in (2, 1, 2, 3):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n),
                     rng.choice(pool))
        t.expect_json(r, 200, "replace part %d after the failure" % n)
        check_folder(t, srv, c, owner, ds, "replaced %d after failing" % n)
    r = c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds)
    t.expect_json(r, 202, "publish again")
    sh.wait_published(t, c, owner, ds, what="publish again")
    # The parts go just after the commit that publishes: a bounded wait.
    deadline = time.monotonic() + 10
    while on_disk(srv, ds) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    t.eq(on_disk(srv, ds), None, "the folder of a published data-set")

    # -- kill -9 -------------------------------------------------------------
    drafts = []
    # delay None: kill as soon as the first part is answered 200.
    for rnd, (delay, count, lo, hi) in enumerate(
            [(0.0, 6, 1 << 20, 4 << 20), (0.01, 10, 100000, 3 << 20),
             (0.03, 4, 4 << 20, 12 << 20), (0.08, 12, 1 << 20, 6 << 20),
             (None, 10, 1 << 20, 8 << 20), (0.2, 8, 2 << 20, 10 << 20),
             (0.005, 16, 200000, 1 << 20), (None, 6, 10000, 16 << 20)], 1):
        t.step("kill -9 round %d: %d parts of %d KiB to %d KiB being "
               "written, killed %s" %
               (rnd, count, lo >> 10, hi >> 10,
                "at the first answer" if delay is None else
                "after %.0f ms" % (delay * 1000)))
        d, _ = sh.create_dataset(t, c, owner, {"name": "k%d" % rnd,
                                               "format": "blob"})
        drafts.append(d["id"])
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/1" % d["id"],
                     os.urandom(rng.randint(1, 5000)))
        t.expect_json(r, 200, "PUT part 1 before")
        jobs = [(rng.choice(drafts), rng.randint(1, 5),
                 os.urandom(rng.randint(lo, hi))) for _ in range(count)]
        prepared = [c.prepare(owner, "PUT", "/v1/datasets/%s/parts/%d" %
                              (ds_, n), body) for ds_, n, body in jobs]
        done = []
        answered = threading.Event()
        th = threading.Thread(target=lambda: done.extend(
            put_many(c, owner, jobs, prepared, answered)))
        th.start()
        if delay is None:
            answered.wait(30)
        else:
            time.sleep(delay + rng.uniform(0, 0.01))
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        th.join()
        partial = 0
        for ds_ in drafts:
            partial += sum(1 for f in (on_disk(srv, ds_) or [])
                           if len(f) != 64)
        statuses = sorted(str(r.status) for r in done)
        t.step("  answers before the kill: %s; temporary files left: %d" %
               (",".join(statuses), partial))
        srv.start()
        for ds_ in drafts:
            check_folder(t, srv, c, owner, ds_, "round %d, %s" %
                         (rnd, ds_[:10]))
        top = sorted(os.listdir(os.path.join(srv.data_dir, "uploads")))
        t.check(all(("0x" + x) in drafts for x in top),
                "round %d: uploads/ holds folders of drafts only: %r" %
                (rnd, top))
        srv.stop()
        fsck_clean(t, srv, "round %d" % rnd)
        srv.start()

    # -- left-overs made by hand -----------------------------------------------
    t.step("left-overs made by hand while stopped: the next start removes "
           "temporary, unnamed, published and unknown entries, and keeps "
           "every named file")
    pub = sh.publish_dataset(t, c, owner, {"name": "pub", "format": "blob",
                                           "price": PLAN}, b"published",
                             what="publish")
    keep = {ds_: on_disk(srv, ds_) or [] for ds_ in drafts}
    srv.stop()
    up = os.path.join(srv.data_dir, "uploads")
    made = []
    d0 = os.path.join(up, drafts[0][2:])
    os.makedirs(d0, exist_ok=True)
    for name in ("%s.Xy12Ab" % sha(b"cut"), sha(b"replaced"), "junk",
                 sha(b"X").upper()):
        with open(os.path.join(d0, name), "wb") as fh:
            fh.write(b"left over")
        made.append(os.path.join(d0, name))
    pf = os.path.join(up, pub["id"][2:])
    os.makedirs(pf, exist_ok=True)
    with open(os.path.join(pf, sha(b"published")), "wb") as fh:
        fh.write(b"published")
    gone = os.path.join(up, "ab" * 32)
    os.makedirs(gone, exist_ok=True)
    with open(os.path.join(gone, sha(b"x")), "wb") as fh:
        fh.write(b"x")
    with open(os.path.join(up, "stray.tmp"), "wb") as fh:
        fh.write(b"x")
    os.makedirs(os.path.join(up, "notes"), exist_ok=True)
    srv.start()
    for p in made:
        t.check(not os.path.exists(p), "removed at start: %s" % p)
    for p in (pf, gone, os.path.join(up, "stray.tmp"),
              os.path.join(up, "notes")):
        t.check(not os.path.exists(p), "removed at start: %s" % p)
    for ds_, files in keep.items():
        t.eq(on_disk(srv, ds_) or [], files, "files of %s kept" % ds_[:10])
        check_folder(t, srv, c, owner, ds_, "after the start")
    srv.stop()
    fsck_clean(t, srv, "after the start")
    t.hush -= 1
    t.finish()


if __name__ == "__main__":
    main()
