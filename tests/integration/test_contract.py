#!/usr/bin/env python3
"""The market contract (contracts-abi/Market.sol, DESIGN.md 3.7) against a
real anvil: `make contracts` reproduces the committed ABI and bytecode
byte for byte; purchase emits Purchased with the fixed topic and data
order and splits the amount between the owner and the fee recipient;
withdraw pays exactly what is owed, once; a re-entering owner gets nothing
more; bad arguments and bad constructor arguments revert with their
errors."""

import atexit
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, CONTRACTS, KEYS, ROOT, Anvil, RpcError  # noqa: E402

ZERO32 = "0x" + "00" * 32
ZERO20 = "0x" + "00" * 20
DS = "0x" + "5a" * 32
REF = "0x" + "77" * 32


def selector(node, sig):
    return node.cast("sig", sig)


def revert_data(err):
    """The revert data of an RpcError from eth_call/eth_estimateGas."""
    e = err.error if isinstance(err, RpcError) else {}
    data = e.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    return data or ""


def call(node, frm, to, data, value=0):
    return node.rpc("eth_call", {"from": frm, "to": to, "data": data,
                                 "value": hex(value)}, "latest")


def expect_revert(t, node, frm, to, data, error_sig, what, value=0):
    try:
        call(node, frm, to, data, value)
    except RpcError as e:
        want = selector(node, error_sig)
        got = revert_data(e)
        t.check(got.startswith(want), "%s: reverts with %s (%s), got %r" %
                (what, error_sig, want, got or e.error))
        return
    t.fail("%s: did not revert" % what)


def owed(node, market, who):
    out = call(node, ACCOUNTS[0], market,
               node.cast("calldata", "owed(address)", who))
    return int(out, 16)


def balance(node, who):
    return int(node.rpc("eth_getBalance", who, "latest"), 16)


def compile_reentrant(t):
    src = os.path.join(ROOT, "tests", "contracts", "Reentrant.sol")
    js = r"""
const solc = require('solc'); const fs = require('fs');
const input = {language: 'Solidity', sources: {'R.sol': {content:
  fs.readFileSync(process.argv[1], 'utf8')}}, settings: {evmVersion: 'cancun',
  outputSelection: {'R.sol': {Reentrant: ['evm.bytecode.object']}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) if (e.severity === 'error') {
  console.error(e.formattedMessage); process.exit(1); }
process.stdout.write(out.contracts['R.sol'].Reentrant.evm.bytecode.object);
"""
    r = subprocess.run(["node", "-e", js, src], cwd=ROOT, capture_output=True,
                       text=True)
    t.check(r.returncode == 0, "compiling Reentrant.sol: %s" % r.stderr)
    return r.stdout.strip()


def main():
    t = sh.Test("test_contract")

    t.step("make contracts reproduces Market.abi.json and Market.bin byte "
           "for byte")
    out = tempfile.mkdtemp(dir=t.tmp)
    r = subprocess.run(["node", "scripts/build-contracts.js", out], cwd=ROOT,
                       capture_output=True, text=True)
    t.check(r.returncode == 0, "build-contracts.js failed: %s" % r.stderr)
    for name in ("Market.abi.json", "Market.bin"):
        with open(os.path.join(out, name), "rb") as a, \
                open(os.path.join(CONTRACTS, name), "rb") as b:
            t.check(a.read() == b.read(),
                    "%s differs from the rebuild: run make contracts" % name)

    node = Anvil(log_dir=os.path.join(t.tmp, "anvil")).start()
    atexit.register(node.stop)
    fee_to = ACCOUNTS[9]
    market = node.deploy_market(fee_bps=250, fee_recipient=fee_to)
    owner, worker, payer = ACCOUNTS[3], ACCOUNTS[4], ACCOUNTS[1]
    purchase_sig = "purchase(bytes32,address,address,bytes32)"

    t.step("purchase: the Purchased event (topics datasetId, worker, payer; "
           "data owner, amount, ref) and the split (fee 2.5 %, floored)")
    amount = 10**18 + 39  # the fee floors: 25000000000000000 (.975 wei)
    tx = node.send(payer, market, node.cast("calldata", purchase_sig, DS,
                                            owner, worker, REF),
                   value=amount)
    rc = node.receipt(tx)
    t.eq(int(rc["status"], 16), 1, "purchase status")
    logs = [lg for lg in rc["logs"] if lg["address"].lower() ==
            market.lower()]
    t.eq(len(logs), 1, "one log")
    lg = logs[0]
    topic = node.cast("sig-event", "Purchased(bytes32,address,address,"
                                   "address,uint256,bytes32)")
    t.eq(lg["topics"][0], topic, "topic0")
    t.eq(lg["topics"][1], DS, "topic1: datasetId")
    t.eq(lg["topics"][2], "0x" + "00" * 12 + worker[2:].lower(),
         "topic2: worker")
    t.eq(lg["topics"][3], "0x" + "00" * 12 + payer[2:].lower(),
         "topic3: payer")
    data = lg["data"][2:]
    t.eq(data[:64], "00" * 12 + owner[2:].lower(), "data word 0: owner")
    t.eq(int(data[64:128], 16), amount, "data word 1: amount (gross)")
    t.eq("0x" + data[128:], REF, "data word 2: ref")
    fee = amount * 250 // 10000
    t.eq(owed(node, market, owner), amount - fee, "owed to the owner")
    t.eq(owed(node, market, fee_to), fee, "owed to the fee recipient")
    t.eq(balance(node, market), amount, "the contract holds the payment")

    t.step("withdraw: exactly what is owed, once; the second reverts")
    before = balance(node, owner)
    tx = node.send(owner, market, selector(node, "withdraw()"))
    rc = node.receipt(tx)
    t.eq(int(rc["status"], 16), 1, "withdraw status")
    gas = int(rc["gasUsed"], 16) * int(rc["effectiveGasPrice"], 16)
    t.eq(balance(node, owner) - before + gas, amount - fee,
         "the owner received what it was owed")
    t.eq(owed(node, market, owner), 0, "nothing owed after")
    expect_revert(t, node, owner, market, selector(node, "withdraw()"),
                  "NothingToWithdraw()", "a second withdraw")
    expect_revert(t, node, ACCOUNTS[5], market, selector(node, "withdraw()"),
                  "NothingToWithdraw()", "withdraw by a stranger")

    t.step("bad arguments revert: zero value, zero owner, zero worker, zero "
           "data-set")
    for what, args, value, err in (
            ("zero value", (DS, owner, worker, REF), 0, "ZeroValue()"),
            ("zero owner", (DS, ZERO20, worker, REF), 1, "ZeroAddress()"),
            ("zero worker", (DS, owner, ZERO20, REF), 1, "ZeroAddress()"),
            ("zero data-set", (ZERO32, owner, worker, REF), 1,
             "ZeroDataset()")):
        expect_revert(t, node, payer, market,
                      node.cast("calldata", purchase_sig, *args), err, what,
                      value=value)

    t.step("a re-entering owner gets nothing more than it is owed")
    code = compile_reentrant(t)
    args = node.cast("abi-encode", "constructor(address)", market)
    rc = node.receipt(node.send(ACCOUNTS[0], None, "0x" + code + args[2:]))
    attacker = rc["contractAddress"]
    node.receipt(node.send(payer, market, node.cast(
        "calldata", purchase_sig, DS, attacker, worker, REF), value=10**17))
    owed_a = owed(node, market, attacker)
    held = balance(node, market)
    for mode in ("withdraw", "purchase"):
        if mode == "purchase":
            node.receipt(node.send(ACCOUNTS[0], attacker, node.cast(
                "calldata", "setReenterPurchase(bool)", "true")))
        expect_revert(t, node, ACCOUNTS[0], attacker,
                      selector(node, "attack()"), "TransferFailed()",
                      "re-entering %s from receive()" % mode)
        tx = node.send(ACCOUNTS[0], attacker, selector(node, "attack()"),
                       gas=500000)
        rc = node.receipt(tx)
        t.eq(int(rc["status"], 16), 0, "the attack (%s) reverts" % mode)
        t.eq(owed(node, market, attacker), owed_a, "still owed the same")
        t.eq(balance(node, market), held, "the market still holds it all")
        t.eq(balance(node, attacker), 0, "the attacker got nothing")

    t.step("constructor: feeBps above 10000, or a fee with no recipient, "
           "reverts")
    with open(os.path.join(CONTRACTS, "Market.bin")) as fh:
        code = fh.read().strip()
    for what, fee_bps, to, err in (("feeBps 10001", 10001, fee_to,
                                    "FeeTooHigh()"),
                                   ("fee to the zero address", 1, ZERO20,
                                    "ZeroAddress()")):
        args = node.cast("abi-encode", "constructor(uint16,address)",
                         str(fee_bps), to)
        try:
            node.rpc("eth_call", {"from": ACCOUNTS[0],
                                  "data": "0x" + code + args[2:]}, "latest")
            t.fail("%s: the deployment did not revert" % what)
        except RpcError as e:
            t.check(revert_data(e).startswith(selector(node, err)),
                    "%s: reverts with %s, got %r" % (what, err, e.error))
    # No fee at all needs no recipient.
    node.deploy_market(fee_bps=0, fee_recipient=ZERO20)

    t.step("scripts/deploy-market.sh (what make run uses) deploys the same "
           "code with the pinned cast")
    r = subprocess.run(["scripts/deploy-market.sh", node.url, KEYS[0], "300",
                        ACCOUNTS[8]], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    t.check(r.returncode == 0, "deploy-market.sh failed: %s" % r.stderr)
    addr = r.stdout.strip().splitlines()[-1]
    t.check(len(addr) == 42 and addr.startswith("0x"),
            "deploy-market.sh printed %r" % r.stdout)
    runtime = node.rpc("eth_getCode", addr, "latest")
    twin = node.deploy_market(fee_bps=300, fee_recipient=ACCOUNTS[8])
    t.check(len(runtime) > 2 and
            runtime == node.rpc("eth_getCode", twin, "latest"),
            "the script deploys the same runtime code as Market.bin")
    fee_bps = int(call(node, ACCOUNTS[0], addr, selector(node, "feeBps()")),
                  16)
    t.eq(fee_bps, 300, "feeBps of the deployed market")
    rcpt = call(node, ACCOUNTS[0], addr, selector(node, "feeRecipient()"))
    t.eq("0x" + rcpt[-40:], ACCOUNTS[8].lower(), "feeRecipient")
    t.finish()


if __name__ == "__main__":
    main()
