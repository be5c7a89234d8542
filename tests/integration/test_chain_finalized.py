#!/usr/bin/env python3
"""--finalized (DESIGN.md 4): a payment is credited when its block is at or
below the node's finalized block, not by counting confirmations; its
`required` is null. anvil reports finalized = latest - 64."""

import atexit
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, Anvil  # noqa: E402

UNIT = 1000000000


def finalized(node):
    return int(node.rpc("eth_getBlockByNumber", "finalized", False)["number"],
               16)


def state_after(t, c, tx, head, what, timeout=10):
    """The payment once the follower has seen head."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = c.get("/v1/chain").json()
        if d.get("head") == head and d.get("lag") == 0:
            time.sleep(0.2)  # a round more, for the finalized block
            r = c.get("/v1/payments/%s" % tx)
            t.expect(r, 200, what)
            return r.json()["payments"][0]
        time.sleep(0.02)
    t.fail("%s: the follower did not reach %d" % (what, head))
    return None


def main():
    t = sh.Test("test_chain_finalized")
    node = Anvil(log_dir=os.path.join(t.tmp, "anvil")).start()
    atexit.register(node.stop)
    market = node.deploy_market()
    srv = sh.Server(t, "gw", args=[
        "--rpc-url", node.url, "--contract", market, "--finalized",
        "--poll-ms", "30"]).start()
    c = sh.Client(srv)
    owner = sh.Account()
    ds = sh.publish_dataset(t, c, owner, {"name": "f", "format": "csv",
                                          "price": sh.METERED}, b"a\n1\n")
    data = node.cast("calldata", "purchase(bytes32,address,address,bytes32)",
                     ds["id"], owner.address, ACCOUNTS[2], "0x" + "00" * 32)
    tx = node.send(ACCOUNTS[1], market, data, value=UNIT * 9)
    block = int(node.receipt(tx)["blockNumber"], 16)

    t.step("not credited while the node's finalized block is below it")
    node.mine(63)
    t.check(finalized(node) == block - 1, "anvil's finalized is %d, block %d"
            % (finalized(node), block))
    p = state_after(t, c, tx, node.block_number(), "finalized below it")
    t.eq(p["state"], "confirming", "state while not finalized")
    t.eq(p["required"], None, "required with --finalized")
    t.eq(p["confirmations"], 64, "confirmations still count")

    t.step("credited once its block is finalized")
    node.mine(1)
    t.eq(finalized(node), block, "finalized reached the block")
    p = state_after(t, c, tx, node.block_number(), "finalized at it")
    t.eq(p["state"], "credited", "state once finalized")
    t.eq(p["units"], "9", "units")
    t.finish()


if __name__ == "__main__":
    main()
