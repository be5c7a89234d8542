#!/usr/bin/env python3
"""Crash safety of paid queries (DESIGN.md 3.1, 3.10, 4) against a live
sluiced, killed with SIGKILL at random moments while signed queries stream
in, and restarted, many times.

Set-up: sluiced without a chain; a CSV data-set published through the API
under a metered plan; then, with the gateway stopped, two workers credited
straight into its ledger by tests/tools/ledger_credit (as the chain
follower would): one with plenty, one with little, so that some queries
are refused (503: a 402 would need the chain).

Each round: start the gateway; first settle the requests whose answer was
lost in the last crash (the same nonce and body, signed again: 200 either
from the record, if the debit was committed, or from running it now), and
replay every answer received since the last restart and a few older ones
(the same nonce after the restart must give the same bytes: so every 200
is replayed after a restart at least once); then several client threads send
signed queries (chunks, rows, where) until the gateway is killed, after a
delay drawn from several shapes (at once, short, long, right after the
k-th answer). With the gateway dead, its SQLite file must show:
- the audit chain whole: indexes 1..n, each hash SHA-256 of its text, each
  prev the hash before (recomputed here; `sluiced audit verify` is not in
  this tree);
- queries rows and audit entries one to one (audit_index, query id, worker,
  data-set, cost), and each remembered 200 answer of a query one to one
  with them: never a debit without its entry or its answer;
- per worker, each entry's spent_total the previous one's plus its cost,
  balance_after = credited_total - spent_total >= 0, and the balance row
  agreeing with the rows' sum;
- every 200 a client received: its query_id has a row and an entry, its
  receipt is the entry's text and hash (and, for a sample, signed by the
  gateway), and the remembered answer is the received body byte for byte;
- after the restart, GET /v1/audit/head is that last entry, signed.
Answers no client received may or may not have been kept: either is fine.
At the end the gateway is stopped with SIGTERM and must exit 0 with no
sanitizer report.

SLUICE_CRASH_ROUNDS overrides the number of rounds (default 30).
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

ROUNDS = int(os.environ.get("SLUICE_CRASH_ROUNDS", "30"))
ROWS = 2000
CHUNK_ROWS = 50
NCHUNKS = ROWS // CHUNK_ROWS
UNIT_WEI = 1000
PLAN = {"kind": "metered", "unit_wei": str(UNIT_WEI), "per_query": "2",
        "per_chunk": "5", "per_row": "0", "per_mib": "0"}
RICH_UNITS = 10 ** 6
POOR_UNITS = 400
CLIENTS = 4                 # threads; the last one signs as the poor worker
ZERO_HASH = "0x" + "00" * 32

rnd = random.Random(int(os.environ.get("SLUICE_CRASH_SEED", "20261206")))
t = sh.Test("test_query_crash")
build = os.environ.get("SLUICE_BUILD") or os.path.dirname(t.sluiced)
credit_tool = os.path.join(build, "tests", "tools", "ledger_credit")
if not os.access(credit_tool, os.X_OK):
    t.fail("%s is missing: build it with make" % credit_tool)

owner = sh.Account()
rich = sh.Account()
poor = sh.Account()


class Outcome:
    """What the clients saw, over every round."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}      # (address, nonce) -> (prepared, body bytes)
        self.unknown = []    # [(account, prepared)] with no answer
        self.refused = set()  # (address, nonce) answered 503
        self.sent = 0
        self.kept = 0        # lost answers whose debit had been kept
        self.rows = set()    # query ids in the file at the last check
        self.last_entry = None  # (index, hash, time) of its last entry
        self.unreplayed = []  # acked since the last restart's replays


seen = Outcome()


def query_body(r):
    k = r.randrange(4)
    if k == 0:
        chunks = [r.randrange(NCHUNKS) for _ in range(r.randrange(6))]
        return {"chunks": chunks}
    if k == 1:
        a = r.randrange(ROWS + 50)
        return {"rows": {"from": a, "to": a + r.randrange(300)}}
    if k == 2:
        return {"where": [["id", r.choice(["<", ">=", "="]),
                           r.randrange(ROWS)]]}
    return {"chunks": []}


def target(ds_id):
    return "/v1/datasets/%s/queries" % ds_id


def sign_again(account, p):
    """The same request (method, target, body, nonce), signed now."""
    return sh.Client.prepare(account, p.method, p.target, p.body,
                             nonce=p.nonce)


def client_loop(server, ds_id, account, seed, stop, acks):
    c = sh.Client(server, timeout=10)
    r = random.Random(seed)
    while not stop.is_set():
        body = json.dumps(query_body(r))
        p = sh.Client.prepare(account, "POST", target(ds_id), body)
        resp = c.send_prepared(p, timeout=10)
        key = (account.address, p.nonce)
        with seen.lock:
            seen.sent += 1
            if resp.error is not None:
                seen.unknown.append((account, p))
            elif resp.status == 200:
                seen.acked[key] = (p, resp.body)
                seen.unreplayed.append(key)
                acks[0] += 1
            elif resp.status == 503 and account is poor:
                seen.refused.add(key)
            else:
                t.fail("an unexpected answer to a query", resp)
        if resp.error is not None:
            return  # the gateway is gone (or going): the round is over


def settle(server, ds_id):
    """Send again, signed anew with the same nonce, every request whose
    answer was lost: 200 (its record, or run now) or 503 (poor)."""
    c = sh.Client(server, timeout=20)
    left = seen.unknown
    seen.unknown = []
    for account, p in left:
        q = sign_again(account, p)
        resp = c.send_prepared(q)
        key = (account.address, p.nonce)
        if resp.status == 200:
            seen.acked[key] = (p, resp.body)
            seen.unreplayed.append(key)
            if json.loads(resp.body)["query_id"] in seen.rows:
                seen.kept += 1  # committed before the crash: the record
        elif resp.status == 503 and account is poor:
            seen.refused.add(key)
        else:
            t.fail("settling a request lost in the crash", resp)
    return len(left)


def replay_after_restart(server, older):
    """Replay every answer received since the last restart, and a sample
    of `older` ones from before. Returns how many were replayed."""
    fresh = seen.unreplayed
    seen.unreplayed = []
    done = set(fresh)
    rest = [k for k in seen.acked if k not in done]
    keys = fresh + rnd.sample(rest, min(len(rest), older))
    replay(server, keys)
    return keys


def replay(server, keys):
    """The same nonce after a restart gives the same bytes."""
    c = sh.Client(server, timeout=20)
    for key in keys:
        p, body = seen.acked[key]
        account = rich if key[0] == rich.address else poor
        resp = c.send_prepared(sign_again(account, p))
        t.expect(resp, 200, "replay after a restart")
        t.check(resp.body == body,
                "a replay after a restart differs from the first answer",
                resp)


def signer_of(sig_hex_text, text):
    return sh.recover_address(bytes.fromhex(sig_hex_text[2:]),
                              sh.personal_hash(text))


def check_head(server, gateway):
    """After a restart, before anything runs: GET /v1/audit/head is the
    last entry the file held at the crash, signed by the gateway."""
    c = sh.Client(server, timeout=20)
    h = t.expect_json(c.get("/v1/audit/head"), 200, "the audit head")
    last = seen.last_entry
    want = (0, ZERO_HASH, 0) if last is None else last
    t.eq((h["index"], h["hash"], h["time"]), want,
         "the audit head after a restart")
    text = "sluice-audit-head-v1\n%d\n%s\n%d" % (h["index"], h["hash"],
                                                  h["time"])
    t.eq(signer_of(h["signature"], text), gateway,
         "the signer of the audit head")


def check_receipts(keys, gateway):
    """Receipts are signed by the gateway, over their text."""
    for key in keys:
        doc = json.loads(seen.acked[key][1])
        r = doc["receipt"]
        t.eq(signer_of(r["signature"], r["text"]), gateway,
             "the signer of receipt %s" % doc["query_id"])


def entry_lines(text):
    out = {}
    lines = text.split("\n")
    for line in lines[1:]:
        name, sep, value = line.partition(": ")
        if not sep:
            t.fail("audit entry line %r is not 'name: value'" % line)
        out[name] = value
    return lines[0], out


def check_ledger(server, ds_id, what):
    """The invariants of the docstring, on the file of a dead gateway."""
    db = server.db()
    try:
        audit = db.execute("SELECT idx, text, hash FROM audit_log "
                           "ORDER BY idx").fetchall()
        queries = db.execute("SELECT query_id, worker, dataset_id, cost, "
                             "audit_index FROM queries").fetchall()
        nonces = db.execute("SELECT address, nonce, status, target, "
                            "response FROM request_nonces").fetchall()
        balances = db.execute("SELECT worker, units, owed_units, "
                              "credited_total, spent_total FROM balances "
                              "WHERE dataset_id = ?",
                              (bytes.fromhex(ds_id[2:]),)).fetchall()
    finally:
        db.close()
    # The chain.
    prev = ZERO_HASH
    entries = {}   # query id hex -> (idx, fields, text, hash)
    per_worker = {}
    for i, (idx, text, h) in enumerate(audit, 1):
        t.eq(idx, i, "%s: audit index %d" % (what, i))
        t.check(hashlib.sha256(text.encode()).digest() == h,
                "%s: entry %d's hash is not SHA-256 of its text" % (what, idx))
        first, f = entry_lines(text)
        t.eq(first, "sluice-release-v1", "%s: entry %d's first line" %
             (what, idx))
        t.eq(f.get("index"), str(idx), "%s: entry %d's index line" %
             (what, idx))
        t.eq(f.get("prev"), prev, "%s: entry %d's prev" % (what, idx))
        prev = "0x" + h.hex()
        t.eq(f.get("dataset"), ds_id, "%s: entry %d's data-set" % (what, idx))
        t.check(f["query"] not in entries, "%s: query %s has two entries" %
                (what, f["query"]))
        entries[f["query"]] = (idx, f, text, h)
        cost, after = int(f["cost"]), int(f["balance_after"])
        cred, spent = int(f["credited_total"]), int(f["spent_total"])
        last = per_worker.get(f["worker"], 0)
        t.eq(spent, last + cost, "%s: entry %d's spent_total" % (what, idx))
        t.check(after == cred - spent and after >= 0,
                "%s: entry %d: balance_after %d, credited %d, spent %d" %
                (what, idx, after, cred, spent))
        per_worker[f["worker"]] = spent
    # Rows and entries, one to one.
    t.eq(len(queries), len(audit), "%s: queries rows vs audit entries" % what)
    sums = {}
    for qid, worker, dsid, cost, aidx in queries:
        key = "0x" + qid.hex()
        e = entries.get(key)
        if not t.check(e is not None, "%s: query %s has no audit entry" %
                       (what, key)):
            continue
        t.eq(e[0], aidx, "%s: query %s's audit_index" % (what, key))
        t.eq(e[1]["worker"], sh.eip55(worker), "%s: query %s's worker" %
             (what, key))
        t.eq("0x" + dsid.hex(), ds_id, "%s: query %s's data-set" % (what, key))
        t.eq(int(e[1]["cost"]), cost, "%s: query %s's cost" % (what, key))
        sums[e[1]["worker"]] = sums.get(e[1]["worker"], 0) + cost
    # Balances agree with the rows.
    want_credit = {rich.address: RICH_UNITS, poor.address: POOR_UNITS}
    for worker, units, owed, cred, spent in balances:
        w = sh.eip55(worker)
        t.eq(cred, want_credit.get(w), "%s: %s's credited_total" % (what, w))
        t.eq(spent, sums.get(w, 0), "%s: %s's spent_total" % (what, w))
        t.eq(units, cred - spent, "%s: %s's units" % (what, w))
        t.eq(owed, 0, "%s: %s's owed_units" % (what, w))
        t.check(spent <= cred, "%s: %s spent past its credit" % (what, w))
        if w in per_worker:
            t.eq(per_worker[w], spent, "%s: %s's last entry's spent_total" %
                 (what, w))
    # Remembered answers of queries, one to one with the rows.
    answered = {}
    for address, nonce, status, tgt, response in nonces:
        if tgt != target(ds_id):
            continue
        t.check(status in (200,), "%s: a query's answer %d was remembered" %
                (what, status))
        doc = json.loads(response)
        qid = doc["query_id"]
        t.check(qid in entries, "%s: remembered answer %s has no entry" %
                (what, qid))
        t.check(qid not in answered, "%s: two nonces answered %s" %
                (what, qid))
        answered[qid] = (address, nonce, response)
        key = (address, nonce)
        t.check(key not in seen.refused,
                "%s: a refused query's nonce was remembered" % what)
        if key in seen.acked:
            t.check(seen.acked[key][1] == response,
                    "%s: the remembered answer of %s differs from the one "
                    "received" % (what, nonce))
    seen.rows = set(entries)
    if audit:
        idx, text, h = audit[-1]
        seen.last_entry = (idx, "0x" + h.hex(),
                           int(entry_lines(text)[1]["time"]))
    t.eq(len(answered), len(queries),
         "%s: remembered answers vs queries rows" % what)
    # Every 200 received is there, receipt and all.
    for key, (p, body) in seen.acked.items():
        doc = json.loads(body)
        qid = doc["query_id"]
        e = entries.get(qid)
        if not t.check(e is not None, "%s: received 200 %s has no entry" %
                       (what, qid)):
            continue
        t.eq(doc["receipt"]["text"], e[2], "%s: %s's receipt text" %
             (what, qid))
        t.eq(doc["receipt"]["hash"], "0x" + e[3].hex(),
             "%s: %s's receipt hash" % (what, qid))
        t.eq(doc["cost"], e[1]["cost"], "%s: %s's cost" % (what, qid))
        t.check(qid in answered and answered[qid][:2] == key,
                "%s: received 200 %s is not remembered for its nonce" %
                (what, qid))
    return len(queries)


def credit(server, ds_id, account, units, tag):
    out = subprocess.run([credit_tool, server.data_dir, ds_id,
                          account.address, str(units * UNIT_WEI), str(tag)],
                         capture_output=True, text=True, timeout=60)
    t.check(out.returncode == 0, "ledger_credit failed: %s" % out.stderr)
    t.eq(out.stdout.strip(), str(units), "the units credited")
    if sh.SANITIZER_RE.search(out.stderr):
        t.fail("sanitizer report from ledger_credit:\n" + out.stderr)


def main():
    server = sh.Server(t, "gw")
    server.start()
    c = sh.Client(server)
    t.step("publish a CSV data-set of %d rows in %d chunks" %
           (ROWS, NCHUNKS))
    csv = "id,v\n" + "".join("%d,%d\n" % (i, i * 13 % 997)
                             for i in range(ROWS))
    d = sh.publish_dataset(t, c, owner,
                           {"name": "crash", "format": "csv",
                            "chunking": {"rows": CHUNK_ROWS}, "price": PLAN},
                           csv.encode())
    t.eq(d["chunk_count"], NCHUNKS, "chunk_count")
    ds_id = d["id"]
    gateway = t.expect_json(c.get("/v1/chain"), 200, "GET /v1/chain")[
        "gateway"]
    server.stop()
    credit(server, ds_id, rich, RICH_UNITS, 1)
    credit(server, ds_id, poor, POOR_UNITS, 2)

    t.hush += 1
    shapes = ["now", "short", "long", "after-k"]
    totals = {"settled": 0, "replayed": 0}
    rows = 0
    for rnum in range(1, ROUNDS + 1):
        server.start()
        check_head(server, gateway)
        totals["settled"] += settle(server, ds_id)
        keys = replay_after_restart(server, 4)
        totals["replayed"] += len(keys)
        check_receipts(rnd.sample(keys, min(len(keys), 3)), gateway)
        shape = shapes[rnum % len(shapes)]
        stop = threading.Event()
        acks = [0]
        threads = [threading.Thread(
            target=client_loop,
            args=(server, ds_id, poor if i == CLIENTS - 1 else rich,
                  rnd.getrandbits(32), stop, acks))
            for i in range(CLIENTS)]
        for th in threads:
            th.start()
        if shape == "now":
            delay = rnd.uniform(0, 0.03)
            time.sleep(delay)
        elif shape == "short":
            delay = rnd.uniform(0.03, 0.3)
            time.sleep(delay)
        elif shape == "long":
            delay = rnd.uniform(0.3, 1.2)
            time.sleep(delay)
        else:
            k = rnd.randrange(1, 15)
            deadline = time.monotonic() + 3
            while acks[0] < k and time.monotonic() < deadline:
                time.sleep(0.0005)
            delay = k
        server.kill9()
        stop.set()
        for th in threads:
            th.join(30)
            t.check(not th.is_alive(), "a client thread hangs")
        rows = check_ledger(server, ds_id, "round %d" % rnum)
        t.step("round %2d (%-7s %5.2f): %4d queries sent, %4d answered "
               "200, %3d refused, %2d lost in the crash; %4d rows" %
               (rnum, shape, delay, seen.sent, len(seen.acked),
                len(seen.refused), len(seen.unknown), rows))
    # The end: settle, replay more, stop cleanly.
    server.start()
    check_head(server, gateway)
    totals["settled"] += settle(server, ds_id)
    server.stop()
    # ... and once more, so that the answers settled just now are
    # replayed after a restart too.
    server.start()
    keys = replay_after_restart(server, 20)
    totals["replayed"] += len(keys)
    t.check(not seen.unreplayed, "answers left unreplayed")
    server.stop()
    rows = check_ledger(server, ds_id, "after the last restart")
    t.hush -= 1
    t.check(len(seen.acked) > 0, "no query was ever answered")
    t.step("%d restarts after SIGKILL; %d queries sent, %d answered 200 "
           "(%d lost in a crash and sent again, %d of which had been "
           "kept), %d refused, %d replays after a restart; %d queries rows "
           "and audit entries" %
           (ROUNDS, seen.sent, len(seen.acked), totals["settled"],
            seen.kept, len(seen.refused), totals["replayed"], rows))
    t.finish()


main()
