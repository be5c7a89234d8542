#!/usr/bin/env python3
"""The chain follower against a real anvil (DESIGN.md 3.9, 4, 5): a
payment is credited after N confirmations and not before; GET
/v1/payments/<tx> shows seen/confirming n/N/credited and long-polls;
unmatched payments (unknown data-set, wrong owner) are never credited;
anvil_rollback of a confirming payment forgets it and of a credited one
reverses it (finality violation, shown in /v1/chain and /metrics); a
restart neither doubles nor misses a credit; the node stopped and started
again under the follower; a gateway started against another chain id is
refused.
"""

import atexit
import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, Anvil  # noqa: E402

CONF = 3
UNIT = 1000000000  # METERED's unit_wei


def purchase(node, market, ds_id, owner, worker, value, payer=1,
             ref="0x" + "00" * 32):
    data = node.cast("calldata", "purchase(bytes32,address,address,bytes32)",
                     ds_id, owner, worker, ref)
    tx = node.send(ACCOUNTS[payer], market, data, value=value)
    r = node.receipt(tx)
    assert int(r["status"], 16) == 1, r
    return tx, int(r["blockNumber"], 16)


def payment(t, c, tx, what, wait=None, status=200):
    tgt = "/v1/payments/%s" % tx + ("?wait=%d" % wait if wait else "")
    r = c.get(tgt)
    if status != 200:
        t.expect_problem(r, status, what, "tx_hash")
        return None
    d = t.expect_json(r, 200, what)
    return d["payments"] if d else None


def wait_state(t, c, tx, state, what, timeout=20):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        r = c.get("/v1/payments/%s" % tx)
        if r.status == 200:
            last = r.json()["payments"]
            if last and last[0]["state"] == state:
                return last
        time.sleep(0.05)
    t.fail("%s: payment %s not %s after %ds (last: %r)" %
           (what, tx, state, timeout, last))
    return last


def balance(srv, worker, ds_id):
    rows = srv.db().execute(
        "SELECT units, owed_units FROM balances WHERE lower(hex(worker)) = ? "
        "AND lower(hex(dataset_id)) = ?",
        (worker[2:].lower(), ds_id[2:].lower())).fetchall()
    return tuple(rows[0]) if rows else (0, 0)


def chain_doc(t, c, what):
    return t.expect_json(c.get("/v1/chain"), 200, what)


def wait_tip(t, c, block, what, timeout=20):
    deadline = time.monotonic() + timeout
    d = None
    while time.monotonic() < deadline:
        d = c.get("/v1/chain").json()
        if d.get("head") is not None and d["head"] >= block and \
                d["lag"] == 0:
            return d
        time.sleep(0.05)
    t.fail("%s: the follower did not reach block %d: %r" % (what, block, d))
    return d


def main():
    t = sh.Test("test_chain_follow")
    node = Anvil(args=["--state", os.path.join(t.tmp, "anvil.state")],
                 log_dir=os.path.join(t.tmp, "anvil")).start()
    atexit.register(node.stop)
    market = node.deploy_market(fee_bps=250, fee_recipient=ACCOUNTS[9])
    chain_args = ["--rpc-url", node.url, "--contract", market,
                  "--confirmations", str(CONF), "--poll-ms", "50"]
    srv = sh.Server(t, "gw", args=chain_args).start()
    c = sh.Client(srv)
    owner, stranger = sh.Account(), sh.Account()
    worker = ACCOUNTS[2]

    t.step("GET /v1/chain: chain id, contract, state")
    d = wait_tip(t, c, node.block_number(), "the follower starts")
    t.eq(d["chain_id"], 31337, "chain_id")
    t.eq(d["contract"].lower(), market.lower(), "contract")
    t.check(d["state"] in ("ok", "syncing"), "state %r" % d["state"])
    t.check(d["gateway"].startswith("0x") and len(d["gateway"]) == 42,
            "gateway is an address")

    ds = sh.publish_dataset(t, c, owner, {"name": "paid", "format": "csv",
                                          "price": sh.METERED},
                            b"a,b\n1,2\n3,4\n")
    ds_id = ds["id"]

    t.step("a payment is confirming until %d confirmations, then credited "
           "once" % CONF)
    node.rpc("evm_setAutomine", True)
    value = 25 * UNIT + 7  # 25 units and 7 wei carried
    tx, block = purchase(node, market, ds_id, owner.address, worker, value)
    p = wait_state(t, c, tx, "confirming", "after inclusion")
    t.eq(p[0]["confirmations"], 1, "confirmations after inclusion")
    t.eq(p[0]["required"], CONF, "required")
    t.eq(p[0]["amount_wei"], str(value), "amount_wei")
    t.eq(p[0]["units"], None, "units before credit")
    t.eq(p[0]["worker"].lower(), worker.lower(), "worker")
    t.eq(p[0]["payer"].lower(), ACCOUNTS[1].lower(), "payer")
    t.eq(p[0]["dataset_id"], ds_id, "dataset_id")
    t.eq(balance(srv, worker, ds_id), (0, 0), "no credit before N")
    node.mine(CONF - 2)
    wait_tip(t, c, block + CONF - 2, "N-1 confirmations")
    p = payment(t, c, tx, "at N-1 confirmations")
    t.eq(p[0]["state"], "confirming", "state at N-1")
    t.eq(p[0]["confirmations"], CONF - 1, "confirmations at N-1")
    t.eq(balance(srv, worker, ds_id), (0, 0), "no credit at N-1")
    t.step("a long-poll returns at the first change")
    # The poll is in flight before the block that changes the payment is
    # mined (else the follower may credit it first, and the poll would
    # rightly wait for the next change).
    got = {}

    def long_poll():
        got["r"] = sh.Client(srv).get("/v1/payments/%s?wait=30" % tx)
        got["t"] = time.monotonic()
    th = threading.Thread(target=long_poll, daemon=True)
    th.start()
    time.sleep(0.3)
    t.check(th.is_alive(), "the long-poll waits while nothing changes")
    t0 = time.monotonic()
    node.mine(1)
    th.join(40)
    t.check("r" in got and got["r"].status == 200, "the long-poll answered")
    t.check(got["t"] - t0 < 10, "the long-poll returned at the change, %.1f "
            "s after the block" % (got["t"] - t0))
    p = got["r"].json()["payments"]
    t.check(p[0]["confirmations"] == CONF or p[0]["state"] == "credited",
            "the long-poll's answer shows the change: %r" % p[0])
    p = wait_state(t, c, tx, "credited", "at N")
    t.eq(p[0]["units"], "25", "units credited")
    t.eq(balance(srv, worker, ds_id), (25, 0), "balance after credit")

    t.step("an unknown tx is 404; a malformed hash 400; wait bounds")
    payment(t, c, "0x" + "ab" * 32, "unknown tx", status=404)
    t.expect_problem(c.get("/v1/payments/0x1234"), 400, "short hash",
                     "tx_hash")
    t.expect_problem(c.get("/v1/payments/%s?wait=61" % tx), 400, "wait 61",
                     "wait")
    t.expect_problem(c.get("/v1/payments/%s?wait=-1" % tx), 400, "wait -1",
                     "wait")

    t.step("unmatched: unknown data-set, wrong owner; never credited")
    tx_u, _ = purchase(node, market, "0x" + "77" * 32, owner.address, worker,
                       UNIT * 3)
    tx_o, _ = purchase(node, market, ds_id, stranger.address, worker,
                       UNIT * 3)
    node.mine(CONF)
    p = wait_state(t, c, tx_u, "unmatched", "unknown data-set")
    t.eq(p[0]["reason"], "unknown_dataset", "reason")
    p = wait_state(t, c, tx_o, "unmatched", "wrong owner")
    t.eq(p[0]["reason"], "owner_mismatch", "reason")
    t.eq(balance(srv, worker, ds_id), (25, 0), "unmatched never credited")

    t.step("anvil_rollback of a confirming payment: forgotten, never "
           "credited")
    tx_c, block_c = purchase(node, market, ds_id, owner.address, worker,
                             UNIT * 4)
    wait_state(t, c, tx_c, "confirming", "confirming before rollback")
    node.rpc("anvil_rollback", 1)
    wait_tip(t, c, block_c - 1, "after rollback")
    time.sleep(0.3)
    r = c.get("/v1/payments/%s" % tx_c)
    t.check(r.status == 404 or r.json()["payments"][0]["state"] == "seen",
            "the rolled-back payment is gone (got %d %s)" %
            (r.status, r.body[:200]))
    node.mine(CONF + 1)
    wait_tip(t, c, node.block_number(), "mined past the rollback")
    t.eq(balance(srv, worker, ds_id), (25, 0),
         "a rolled-back payment is never credited")

    t.step("restart: no double credit, none missed")
    srv.stop()
    tx_r, _ = purchase(node, market, ds_id, owner.address, worker, UNIT * 5)
    node.mine(CONF)
    srv.start()
    c = sh.Client(srv)
    wait_state(t, c, tx_r, "credited", "credited after restart")
    t.eq(balance(srv, worker, ds_id), (30, 0), "balance after restart")

    t.step("anvil_rollback below a credited payment: reversed, shown as a "
           "finality violation; spent credit would be owed")
    tx_f, block_f = purchase(node, market, ds_id, owner.address, worker,
                             UNIT * 6)
    node.mine(CONF - 1)
    wait_state(t, c, tx_f, "credited", "credited before the deep rollback")
    t.eq(balance(srv, worker, ds_id), (36, 0), "balance before the rollback")
    node.rpc("anvil_rollback", CONF + 1)
    p = wait_state(t, c, tx_f, "reversed", "after a rollback deeper than N")
    t.eq(p[0]["reason"], "reorged", "reason of the reversal")
    t.eq(p[0]["units"], None, "units of a reversed payment")
    t.eq(balance(srv, worker, ds_id), (30, 0), "the credit is taken back")
    d = chain_doc(t, c, "after the violation")
    t.eq(d["state"], "finality_violated", "state")
    m = c.get("/metrics").text
    t.check('sluice_chain_state{state="finality_violated"} 1' in m and
            "sluice_chain_finality_violations 1" in m,
            "/metrics shows the violation")
    node.mine(CONF + 2)
    wait_tip(t, c, node.block_number(), "mined past the violation")
    t.eq(balance(srv, worker, ds_id), (30, 0), "no credit comes back")

    t.step("the node stops and starts again under the follower")
    node.stop()
    time.sleep(0.6)
    d = chain_doc(t, c, "node down")
    t.eq(d["state"], "finality_violated", "the violation stays shown")
    t.check(srv.alive(), "sluiced keeps running while the node is down")
    t.expect_json(c.get("/v1/datasets/%s" % ds_id), 200,
                  "the gateway serves while the node is down")
    p = payment(t, c, tx, "a recorded payment while the node is down")
    t.eq(p[0]["state"], "credited", "its state, from the ledger")
    r = c.get("/v1/payments/0x" + "cd" * 32)
    t.expect_problem(r, 503, "an unknown tx while the node is down")
    t.check(r.header("Retry-After") is not None, "503 carries Retry-After")
    m = c.get("/metrics").text
    t.check("sluice_chain_round_failures 0" not in m,
            "/metrics counts the failed rounds")
    node.start()  # same port, same state file: the same chain
    tx_b, _ = purchase(node, market, ds_id, owner.address, worker, UNIT * 2)
    node.mine(CONF)
    wait_state(t, c, tx_b, "credited", "credited after the node came back")
    t.eq(balance(srv, worker, ds_id), (32, 0), "balance after the node's "
         "return")

    t.step("a gateway against another chain is refused at start")
    srv.stop()
    node2 = Anvil(chain_id=5151).start()
    try:
        market2 = node2.deploy_market()
        for what, args in (
                ("--chain-id 31337 against chain 5151",
                 ["--data-dir", os.path.join(t.tmp, "other"), "--chain-id",
                  "31337"]),
                ("a data dir that followed 31337, against 5151",
                 ["--data-dir", srv.data_dir])):
            out = os.path.join(t.tmp, "refused.out")
            err = os.path.join(t.tmp, "refused.err")
            with open(out, "wb") as fo, open(err, "wb") as fe:
                rc = subprocess.call(
                    [t.sluiced, "serve", "--listen", "127.0.0.1:0",
                     "--web-dir", os.path.join(t.tmp, "noweb"),
                     "--rpc-url", node2.url, "--contract", market2] + args,
                    stdout=fo, stderr=fe, timeout=60)
            text = open(err).read()
            t.check(rc != 0, "%s: sluiced exits non-zero (got %d)" %
                    (what, rc))
            t.check("5151" in text and "31337" in text,
                    "%s: the error names both chains: %r" %
                    (what, text[-300:]))
    finally:
        node2.stop()
    t.finish()


if __name__ == "__main__":
    main()
