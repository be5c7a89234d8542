#!/usr/bin/env python3
"""Write tests/data/purchased_logs.json: real Purchased logs from a real
anvil, for tests/unit/contracts-abi/test_abi.c.

Deploys contracts-abi/Market.bin (tests/integration/chain.py), sends a
handful of purchase() calls with varied values (1 wei up to 2^128 - 10^18:
anvil refuses a value whose sum with the gas cost reaches 2^128, so the
decoder's refusal of 2^128 and more is tested on an edited log), from
varied payers for varied owners and workers, then reads the logs back
with eth_getLogs. Each log is written as the node returned it (topics and
data as hex) beside "expect": the values this script sent, taken from its
own inputs and not from the log, so that the C decoder is checked against
what was paid. The calldata is made by cast (an encoder independent of
ours).

    python3 tests/vectors/gen_purchased_logs.py [out.json]

The output is deterministic for a given anvil and Market.bin (anvil's
default accounts, fixed inputs, a fresh chain).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from chain import ACCOUNTS, Anvil  # noqa: E402

PURCHASE = "purchase(bytes32,address,address,bytes32)"
TOPIC = "0xc6615735e922c76e9dbf1963a4c06a1d016e7dbf80ffc80438b9b47419faeef7"

# (dataset id, owner, worker, payer, ref, value in wei)
PURCHASES = [
    ("0x" + "d878c64baade6508c8e36459395733e3abb0f887ad1dd303c58bba888badab70",
     ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[1], "0x" + "00" * 32, 1),
    ("0x" + "03703ba0855838af3ec53c84cbd111f2759a04b2cd50b4b03cf6bf5b357d1db5",
     ACCOUNTS[0], ACCOUNTS[2], ACCOUNTS[3], "0x" + "11" * 32, 10**9),
    ("0x" + "ff" * 32, ACCOUNTS[4], ACCOUNTS[5], ACCOUNTS[5],
     "0x" + "ab" * 31 + "01", 10**18),
    ("0x" + "00" * 31 + "01", ACCOUNTS[6], ACCOUNTS[7], ACCOUNTS[8],
     "0x" + "fe" * 32, 123456789012345678901),
    ("0x" + "5a" * 32, ACCOUNTS[1], ACCOUNTS[0], ACCOUNTS[2],
     "0x" + "0f" * 32, 2**64),
    ("0x" + "a5" * 32, ACCOUNTS[9], ACCOUNTS[3], ACCOUNTS[4],
     "0x" + "77" * 32, 2**127 + 12345),
    ("0x" + "c3" * 32, ACCOUNTS[2], ACCOUNTS[8], ACCOUNTS[6],
     "0x" + "3c" * 32, 2**128 - 10**18),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "tests", "data", "purchased_logs.json")
    with Anvil() as node:
        # Payers of more than anvil's 10000 ether get a larger balance.
        for payer in sorted({p[3] for p in PURCHASES}):
            node.rpc("anvil_setBalance", payer, hex(2**129))
        market = node.deploy_market(fee_bps=250, fee_recipient=ACCOUNTS[9])
        start = node.block_number() + 1
        for ds, owner, worker, payer, ref, value in PURCHASES:
            data = node.cast("calldata", PURCHASE, ds, owner, worker, ref)
            r = node.receipt(node.send(payer, market, data, value,
                                       gas=200000))
            if int(r["status"], 16) != 1:
                raise SystemExit("purchase of %d wei failed: %r" % (value, r))
        logs = node.rpc("eth_getLogs", {"address": market,
                                        "fromBlock": hex(start),
                                        "toBlock": "latest",
                                        "topics": [TOPIC]})
        chain_id = int(node.rpc("eth_chainId"), 16)
    if len(logs) != len(PURCHASES):
        raise SystemExit("got %d logs for %d purchases"
                         % (len(logs), len(PURCHASES)))
    entries = []
    for log, (ds, owner, worker, payer, ref, value) in zip(logs, PURCHASES):
        e = {"block_number": int(log["blockNumber"], 16),
             "transaction_hash": log["transactionHash"],
             "log_index": int(log["logIndex"], 16),
             "topics": log["topics"], "data": log["data"]}
        e["expect"] = {"dataset_id": ds, "worker": worker, "payer": payer,
                       "owner": owner, "amount": str(value), "ref": ref}
        entries.append(e)
    doc = {"about": "Purchased logs from a real anvil; made by "
                    "tests/vectors/gen_purchased_logs.py",
           "chain_id": chain_id, "contract": market, "logs": entries}
    with open(out + ".tmp", "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    os.replace(out + ".tmp", out)
    print("wrote %d logs to %s" % (len(entries), out))


if __name__ == "__main__":
    main()
