#!/usr/bin/env python3
"""Restart in the middle of a catch-up (issue 4): a fresh gateway faces
hundreds of purchases already on a real anvil and follows them in small
ranges (--max-log-range 1); it is killed with SIGKILL several times while
it credits them, and restarted each time. At the end every payment is
credited exactly once: the ledger's count, each payment's units, the
balance (floor of the sum over unit_wei, the remainder carried) and the
ledger entries all agree with what was paid."""

import atexit
import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, Anvil  # noqa: E402

CONF = 2
UNIT = 1000000000  # METERED's unit_wei
N = 400            # purchases
PER_BLOCK = 1


def main():
    t = sh.Test("test_chain_restart")
    node = Anvil(log_dir=os.path.join(t.tmp, "anvil")).start()
    atexit.register(node.stop)
    market = node.deploy_market()
    srv, owner, ds = sh.paid_dataset(t)

    t.step("%d purchases, %d a block, before the gateway follows" %
           (N, PER_BLOCK))
    node.rpc("evm_setAutomine", False)
    data = node.cast("calldata", "purchase(bytes32,address,address,bytes32)",
                     ds["id"], owner.address, ACCOUNTS[2], "0x" + "00" * 32)
    nonce = int(node.rpc("eth_getTransactionCount", ACCOUNTS[1], "pending"),
                16)
    total = 0
    hashes = []
    for i in range(N):
        value = UNIT * (1 + i % 7) + 333 * i  # remainders that carry
        total += value
        hashes.append(node.rpc(
            "eth_sendTransaction", {"from": ACCOUNTS[1], "to": market,
                                    "data": data, "value": hex(value),
                                    "nonce": hex(nonce + i),
                                    "gas": hex(100000)}))
        if i % PER_BLOCK == PER_BLOCK - 1:
            node.rpc("anvil_mine", "0x1")
    node.rpc("evm_setAutomine", True)
    node.mine(CONF + 1)
    for h in hashes:
        r = node.receipt(h)
        t.check(int(r["status"], 16) == 1, "purchase %s failed" % h)
    last = node.block_number()

    srv.args = ["--rpc-url", node.url, "--contract", market,
                "--confirmations", str(CONF), "--poll-ms", "20",
                "--max-log-range", "1"]
    target = last - CONF + 1
    kills = []
    rnd = random.Random(5)

    def credited_to(cl):
        d = cl.get("/v1/chain").json()
        return d.get("last_credited_block"), d

    while True:
        srv.start()
        c = sh.Client(srv)
        if len(kills) < 5:
            # Let it work a little, then cut it off wherever it is.
            time.sleep(rnd.uniform(0.01, 0.06))
            lcb, d = credited_to(c)
            if lcb is None or lcb < target:
                srv.kill9()
                kills.append(lcb)
                continue
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lcb, d = credited_to(c)
            if lcb is not None and lcb >= target:
                break
            time.sleep(0.01)
        else:
            t.fail("the follower did not catch up: %r" % d)
        break
    partial = [k for k in kills if k is not None and 0 < k < target]
    t.step("killed %d times, at last_credited_block %s (of %d); caught up" %
           (len(kills), kills, target))
    t.check(len(partial) >= 2, "the gateway was killed part-way through "
            "the catch-up at least twice (%r)" % kills)

    db = srv.db()
    n, = db.execute("SELECT count(*) FROM payments WHERE state = "
                    "'credited'").fetchone()
    t.eq(n, N, "payments credited")
    n, = db.execute("SELECT count(*) FROM ledger_entries WHERE kind = "
                    "'credit'").fetchone()
    t.eq(n, N, "credit entries: one per payment")
    units, owed, rem = db.execute(
        "SELECT units, owed_units, remainder_wei FROM balances").fetchone()
    t.eq(units, total // UNIT, "balance = floor(sum paid / unit_wei)")
    t.eq(int(rem), total % UNIT, "the remainder carried")
    t.eq(owed, 0, "nothing owed")
    s, = db.execute("SELECT sum(units) FROM payments").fetchone()
    t.eq(s, total // UNIT, "the payments' units add up to the balance")
    srv.stop()
    t.finish()


if __name__ == "__main__":
    main()
