#!/usr/bin/env python3
"""bench/catchup: a fresh gateway facing many purchases already on chain.

A real anvil gets --purchases (10,000) Purchased payments for one data-set
published on a gateway, spread over --blocks (5,000) blocks, before the
gateway follows the chain. Then sluiced starts with --rpc-url and the
benchmark times how long it takes until every payment is credited (its
GET /v1/chain shows last_credited_block at the last purchase's block and
the ledger holds them all), and counts the JSON-RPC requests and calls
(batches) it made (its /metrics).

The limit, measured in the same run on the same chain: a bare client
fetching the same logs with eth_getLogs in ranges of the same size
(--max-log-range, 2000), doing nothing with them. ours and limit are
payments per second; ratio = ours / limit.

    bench/catchup [--purchases N] [--blocks B] [--runs R] [--max-log-range M]

The 2 CPUs: anvil, sluiced and this script share both (nothing pinned);
anvil answers eth_getLogs on its own threads.
"""
import argparse
import json
import os
import statistics
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("SLUICED", os.path.join(ROOT, "build", "sluiced"))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, Anvil  # noqa: E402

CONF = 2
UNIT = 1000000000


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def make_purchases(node, market, ds_id, owner, n, blocks):
    """n purchases spread evenly over `blocks` new blocks, several per
    block, sent in batches with automine off. Returns the last block."""
    node.rpc("evm_setAutomine", False)
    data = node.cast("calldata", "purchase(bytes32,address,address,bytes32)",
                     ds_id, owner, ACCOUNTS[2], "0x" + "00" * 32)
    per_block = max(1, -(-n // blocks))
    sent = 0
    calls = []
    hashes = []
    payers = ACCOUNTS[1:9]
    nonce = {a: int(node.rpc("eth_getTransactionCount", a, "pending"), 16)
             for a in payers}
    # anvil may run the requests of one batch in any order, so a block is
    # mined by a call of its own after the batch of its purchases.
    for b in range(blocks):
        k = min(per_block, n - sent)
        if k == 0:
            break
        calls = []
        for _ in range(k):
            payer = payers[sent % len(payers)]
            calls.append(("eth_sendTransaction", [{
                "from": payer, "to": market, "data": data,
                "nonce": hex(nonce[payer]),
                "value": hex(UNIT * 3 + sent), "gas": hex(100000)}]))
            nonce[payer] += 1
            sent += 1
        hashes += node.rpc_batch(calls)
        node.rpc("anvil_mine", "0x1")
    node.rpc("evm_setAutomine", True)
    node.mine(CONF)
    # Every purchase must be mined and have succeeded: the comparison is
    # meaningless otherwise.
    bad = unmined = 0
    for i in range(0, len(hashes), 90):
        for r in node.rpc_batch([("eth_getTransactionReceipt", [h])
                                 for h in hashes[i:i + 90]]):
            if r is None:
                unmined += 1
            elif int(r["status"], 16) != 1:
                bad += 1
    if bad or unmined:
        raise RuntimeError("of %d purchases, %d were not mined and %d "
                           "failed" % (len(hashes), unmined, bad))
    return sent, node.block_number() - CONF


def limit_fetch(node, market, start, end, rng):
    """The bare client: eth_getLogs over [start, end] in ranges of rng."""
    topic = "0xc6615735e922c76e9dbf1963a4c06a1d016e7dbf80ffc80438b9b47419faeef7"
    got = 0
    t0 = time.monotonic()
    b = start
    while b <= end:
        to = min(end, b + rng - 1)
        logs = node.rpc("eth_getLogs", {"fromBlock": hex(b),
                                        "toBlock": hex(to),
                                        "address": market,
                                        "topics": [topic]})
        got += len(logs)
        b = to + 1
    return got, time.monotonic() - t0


def one_run(t, args, run):
    node = Anvil(log_dir=os.path.join(t.tmp, "anvil%d" % run)).start()
    try:
        market = node.deploy_market()
        # The data-set, published on a gateway that follows no chain yet.
        srv, owner, ds = sh.paid_dataset(t, "gw%d" % run)
        first = node.block_number() + 1
        t0 = time.monotonic()
        n, last = make_purchases(node, market, ds["id"], owner.address,
                                 args.purchases, args.blocks)
        t.step("run %d: %d purchases in blocks %d..%d (made in %.1f s)" %
               (run, n, first, last, time.monotonic() - t0))
        got, limit_s = limit_fetch(node, market, 0, last + CONF,
                                   args.max_log_range)
        if got != n:
            t.fail("the bare client got %d logs, not %d" % (got, n))
        # Ours: the gateway starts following; the clock runs until all
        # are credited.
        srv.args = ["--rpc-url", node.url, "--contract", market,
                    "--confirmations", str(CONF), "--poll-ms", "100",
                    "--max-log-range", str(args.max_log_range),
                    "--log-level", "warn"]
        t0 = time.monotonic()
        srv.start()
        c = sh.Client(srv)
        while True:
            d = c.get("/v1/chain").json()
            if d.get("last_credited_block") is not None and \
                    d["last_credited_block"] >= last:
                break
            if time.monotonic() - t0 > 600:
                t.fail("not caught up after 600 s: %r" % d)
            time.sleep(0.01)
        ours_s = time.monotonic() - t0
        credited = srv.db().execute(
            "SELECT count(*) FROM payments WHERE state = 'credited'"
        ).fetchone()[0]
        if credited != n:
            t.fail("%d of %d payments credited" % (credited, n))
        m = c.get("/metrics").text
        requests = metric(m, "sluice_rpc_requests")
        calls = metric(m, "sluice_rpc_calls")
        srv.stop()
        t.step("run %d: ours %.2f s (%.0f payments/s; %d JSON-RPC requests "
               "in %d calls), limit %.2f s (%.0f logs/s)" %
               (run, ours_s, n / ours_s, requests, calls, limit_s,
                n / limit_s))
        return n / ours_s, n / limit_s, ours_s, limit_s, requests, calls
    finally:
        node.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--purchases", type=int, default=10000)
    ap.add_argument("--blocks", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-log-range", type=int, default=2000)
    # run.sh passes BENCH_ARGS to every benchmark: take and ignore the
    # flags that do not apply here.
    ap.add_argument("--mib", help="ignored")
    ap.add_argument("--level", help="ignored")
    ap.add_argument("--dir", help="ignored")
    args = ap.parse_args()
    if not (1 <= args.purchases <= 1000000 and 1 <= args.blocks <= 1000000
            and 1 <= args.runs <= 99 and 1 <= args.max_log_range):
        ap.error("a flag is out of range")
    t = sh.Test("catchup")
    rows = [one_run(t, args, r + 1) for r in range(args.runs)]
    ours = statistics.median(r[0] for r in rows)
    limit = statistics.median(r[1] for r in rows)
    print("catch-up of %d purchases over %d blocks, confirmations %d: "
          "median %.2f s (limit %.2f s), %d JSON-RPC requests in %d calls" %
          (args.purchases, args.blocks, CONF,
           statistics.median(r[2] for r in rows),
           statistics.median(r[3] for r in rows),
           statistics.median(r[4] for r in rows),
           statistics.median(r[5] for r in rows)))
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    print("RESULT catchup ours=%.1f payments/s limit=%.1f logs/s ratio=%.3f" %
          (ours, limit, ours / limit))


if __name__ == "__main__":
    main()
