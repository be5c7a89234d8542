#!/usr/bin/env python3
"""Make the input of bench/logs: N real Purchased logs from a real anvil.

Deploys contracts-abi/Market.bin on a fresh anvil (tests/integration/
chain.py), turns automine off, and sends purchase() calls in JSON-RPC
batches of eth_sendTransaction, mining one block per batch (anvil_mine),
from ten payers with varied data-sets, owners, workers, refs and values
(1 wei to about 2^100). Then it reads every log back with eth_getLogs over
ranges of blocks and writes them as the node returned them:

    {"about": ..., "count": N, "contract": "0x...",
     "logs": [{"topics": ["0x..", x4], "data": "0x..."}, ...]}

Every log is a distinct real log; none is copied. The file is cached:

    python3 bench/gen_logs.py [--count N] [--out PATH]

prints the path of the file (default $TMPDIR/sluice-bench-logs-<N>.json,
else /tmp), reusing it when it already holds N logs of the current
Market.bin. Progress goes to stderr.
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from chain import ACCOUNTS, CONTRACTS, Anvil  # noqa: E402

TOPIC = "0xc6615735e922c76e9dbf1963a4c06a1d016e7dbf80ffc80438b9b47419faeef7"
PER_BLOCK = 1000
LOG_RANGE = 200  # blocks per eth_getLogs


def market_digest():
    with open(os.path.join(CONTRACTS, "Market.bin"), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def cached(path, count, digest):
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return False
    return (doc.get("count") == count and doc.get("market_bin") == digest
            and len(doc.get("logs", [])) == count)


def word_address(a):
    return "00" * 12 + a[2:].lower()


def make(path, count, digest):
    rng = random.Random(20240601)
    t0 = time.monotonic()
    with Anvil(["--gas-limit", "200000000"]) as node:
        market = node.deploy_market(fee_bps=250, fee_recipient=ACCOUNTS[9])
        selector = node.cast("sig", "purchase(bytes32,address,address,"
                             "bytes32)")
        for a in ACCOUNTS:
            node.rpc("anvil_setBalance", a, hex(2**120))
        node.rpc("evm_setAutomine", False)
        # Nonces are ours: anvil gives the requests of one batch the same
        # pending nonce otherwise.
        nonce = {a: int(node.rpc("eth_getTransactionCount", a, "pending"),
                        16) for a in ACCOUNTS}
        start = node.block_number() + 1
        sent = 0
        while sent < count:
            calls = []
            for _ in range(min(PER_BLOCK, count - sent)):
                ds = "%064x" % rng.getrandbits(256)
                ref = "%064x" % rng.getrandbits(256)
                owner = ACCOUNTS[rng.randrange(10)]
                worker = ACCOUNTS[rng.randrange(10)]
                payer = ACCOUNTS[sent % 10]
                value = rng.randrange(1, 2 ** rng.choice((10, 40, 64, 80,
                                                          100)))
                data = (selector + ds + word_address(owner) +
                        word_address(worker) + ref)
                calls.append(("eth_sendTransaction",
                              [{"from": payer, "to": market, "data": data,
                                "value": hex(value), "gas": hex(100000),
                                "nonce": hex(nonce[payer])}]))
                nonce[payer] += 1
                sent += 1
            node.rpc_batch(calls)
            node.mine(1)
            print("gen_logs: %d/%d sent (%.0f s)" %
                  (sent, count, time.monotonic() - t0), file=sys.stderr)
        end = node.block_number()
        logs = []
        for lo in range(start, end + 1, LOG_RANGE):
            hi = min(lo + LOG_RANGE - 1, end)
            logs += node.rpc("eth_getLogs", {"address": market,
                                             "fromBlock": hex(lo),
                                             "toBlock": hex(hi),
                                             "topics": [TOPIC]})
    if len(logs) != count:
        raise SystemExit("gen_logs: %d logs for %d purchases (a purchase "
                         "reverted?)" % (len(logs), count))
    doc = {"about": "real Purchased logs from anvil, made by "
                    "bench/gen_logs.py; every log distinct",
           "count": count, "market_bin": digest, "contract": market,
           "seconds_to_make": round(time.monotonic() - t0, 1),
           "logs": [{"topics": x["topics"], "data": x["data"]}
                    for x in logs]}
    with open(path + ".tmp", "w") as fh:
        json.dump(doc, fh)
        fh.write("\n")
    os.replace(path + ".tmp", path)
    print("gen_logs: %d logs in %.0f s" % (count, time.monotonic() - t0),
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.count < 1:
        raise SystemExit("gen_logs: --count must be at least 1")
    path = args.out or os.path.join(
        os.environ.get("TMPDIR") or "/tmp",
        "sluice-bench-logs-%d.json" % args.count)
    digest = market_digest()
    if not cached(path, args.count, digest):
        make(path, args.count, digest)
    print(path)


if __name__ == "__main__":
    main()
