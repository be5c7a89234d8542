#!/usr/bin/env python3
"""sluice buy, sluice withdraw and sluice dev fund against a real anvil and a live sluiced
(DESIGN.md 1, 3.7): an owner publishes a data-set with the CLI; a buyer's
CLI key, funded from an unlocked anvil account, buys a worker's access with
--contract, --rpc-url and --no-wait (the owner is looked up on the
gateway); the transaction, its Purchased log (decoded here from the ABI
JSON) and owed() on chain are exactly what was asked. Bad inputs (19
decimals, a bad worker, a chain id mismatch, an unreachable node, an
address without code, an unknown data-set) fail with one clear line and
send nothing. The owner then withdraws what the market owes it, and its
balance moves by exactly that minus the gas. Last, with the gateway
following the chain, `sluice buy` without --contract (taken from the
gateway's GET /v1/chain) waits and shows the confirmations until the
gateway reports the payment credited."""

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, CONTRACTS, Anvil  # noqa: E402

HASH_RE = re.compile(r"^0x[0-9a-f]{64}$")
WEI = 10 ** 18


class FakeNode:
    """A JSON-RPC node of chain chain_id that knows no anvil_ method: a
    real chain, as far as sluice dev fund can tell."""

    def __init__(self, chain_id):
        import http.server
        node = self
        self.chain_id = chain_id
        self.sends = 0

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                req = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                if req["method"] == "eth_chainId":
                    body = {"jsonrpc": "2.0", "id": req["id"],
                            "result": hex(node.chain_id)}
                else:
                    if req["method"].startswith("eth_send"):
                        node.sends += 1
                    body = {"jsonrpc": "2.0", "id": req["id"],
                            "error": {"code": -32601,
                                      "message": "method not found"}}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.srv.shutdown()
        self.srv.server_close()


def main():
    t = sh.Test("test_cli_buy")
    build = os.environ.get("SLUICE_BUILD") or os.path.dirname(t.sluiced)
    sluice = os.path.join(os.path.abspath(build), "sluice")
    t.check(os.access(sluice, os.X_OK), "%s is not executable" % sluice)
    gw = sh.Server(t).start()
    keys = os.path.join(t.tmp, "keys")
    env = dict(os.environ)
    env["SLUICE_GATEWAY"] = "http://127.0.0.1:%d" % gw.port
    env.pop("SLUICE_RPC_URL", None)
    env.pop("SLUICE_KEY", None)

    def cli(*args, key="buyer", extra_env=None):
        e = dict(env)
        e["SLUICE_KEY"] = os.path.join(keys, key + ".key")
        if extra_env:
            e.update(extra_env)
        try:
            p = subprocess.run([sluice] + list(args), capture_output=True,
                               text=True, env=e, timeout=120)
        except subprocess.TimeoutExpired as ex:
            t.fail("sluice %s ran for more than 120 s; stderr: %r" %
                   (" ".join(args), ex.stderr))
            raise
        if sh.SANITIZER_RE.search(p.stderr):
            t.fail("sanitizer report from sluice %s:\n%s" %
                   (" ".join(args), p.stderr))
        return p

    def cli_ok(*args, **kw):
        p = cli(*args, **kw)
        t.check(p.returncode == 0, "sluice %s exited %d: %s" %
                (" ".join(args), p.returncode, p.stderr.strip()))
        return p

    def cli_bad(rc, pattern, *args, **kw):
        p = cli(*args, **kw)
        lines = p.stderr.strip().splitlines()
        t.check(p.returncode == rc and len(lines) == 1 and
                re.search(pattern, lines[0]) is not None,
                "sluice %s: expected exit %d and one line matching /%s/, "
                "got exit %d and %r" % (" ".join(args), rc, pattern,
                                        p.returncode, p.stderr))
        return p

    # --- the owner publishes a data-set -----------------------------------
    t.step("owner: key, data-set, upload, publish")
    owner = cli_ok("key", "new", key="owner").stdout.strip()
    buyer = cli_ok("key", "new", key="buyer").stdout.strip()
    ds = cli_ok("dataset", "create", "--name", "buy test", "--format", "csv",
                "--price-metered", "per_query=1,per_chunk=2", key="owner")
    dataset = ds.stdout.strip()
    t.check(re.match(r"^0x[0-9a-f]{64}$", dataset), "create printed %r" %
            dataset)
    data = os.path.join(t.tmp, "d.csv")
    with open(data, "w") as fh:
        fh.write("a,b\n" + "".join("%d,%d\n" % (i, i * i)
                                   for i in range(100)))
    cli_ok("upload", dataset, data, key="owner")
    cli_ok("publish", dataset, key="owner")
    # A plan with a minimum purchase of 1000 units (1000 gwei).
    ds_min = cli_ok("dataset", "create", "--name", "buy test min", "--format",
                    "csv", "--price-metered",
                    "per_query=1,min_purchase=1000", key="owner")
    dataset_min = ds_min.stdout.strip()
    cli_ok("upload", dataset_min, data, key="owner")
    cli_ok("publish", dataset_min, key="owner")

    with Anvil(log_dir=os.path.join(t.tmp, "anvil")) as node:
        worker = ACCOUNTS[3]
        fee_to = ACCOUNTS[9]
        market = node.deploy_market(fee_bps=250, fee_recipient=fee_to)
        for who in (buyer, owner):
            r = node.receipt(node.send(ACCOUNTS[0], who, value=10 * WEI))
            t.eq(int(r["status"], 16), 1, "funding %s" % who)
        chain = ["--contract", market, "--rpc-url", node.url]

        # --- buy ----------------------------------------------------------
        t.step("buy 1.234567890123456789 ETH for worker %s" % worker)
        amount = 1234567890123456789
        ref = "0x" + "00" * 31 + "ab"
        p = cli_ok("buy", dataset, "--worker", worker.lower(), "--amount",
                   "1.234567890123456789", "--ref", ref, "--no-wait", *chain)
        out = p.stdout.strip().splitlines()
        t.check(len(out) == 2 and HASH_RE.match(out[0]) and
                re.match(r"^mined in block \d+$", out[1]),
                "buy printed %r" % p.stdout)
        tx_hash = out[0]
        t.check("paying 1.234567890123456789 ETH (%d wei)" % amount in
                p.stderr and owner in p.stderr,
                "buy did not say what it pays: %r" % p.stderr)
        t.check("it will credit 1234567890 ledger units (1 unit = "
                "1000000000 wei = 0.000000001 ETH)" in p.stderr,
                "buy did not say what the amount credits: %r" % p.stderr)
        tx = node.rpc("eth_getTransactionByHash", tx_hash)
        rc = node.rpc("eth_getTransactionReceipt", tx_hash)
        t.eq(int(rc["status"], 16), 1, "receipt status")
        t.eq(int(tx["type"], 16), 2, "transaction type")
        t.eq(int(tx["chainId"], 16), 31337, "chain id")
        t.eq(tx["from"].lower(), buyer.lower(), "sender")
        t.eq(tx["to"].lower(), market.lower(), "recipient")
        t.eq(int(tx["value"], 16), amount, "value")
        t.eq(out[1], "mined in block %d" % int(rc["blockNumber"], 16),
             "block")
        calldata = node.cast("calldata",
                             "purchase(bytes32,address,address,bytes32)",
                             dataset, owner, worker, ref)
        t.eq(tx["input"], calldata, "calldata")

        # The Purchased log, decoded by the ABI JSON.
        with open(os.path.join(CONTRACTS, "Market.abi.json")) as fh:
            abi = json.load(fh)
        ev = [e for e in abi if e.get("type") == "event" and
              e["name"] == "Purchased"][0]
        sig = "Purchased(%s)" % ",".join(i["type"] for i in ev["inputs"])
        topic0 = "0x" + sh.keccak256(sig.encode()).hex()
        logs = [lg for lg in rc["logs"] if lg["topics"][0] == topic0]
        t.eq(len(logs), 1, "Purchased logs")
        lg = logs[0]
        t.eq(lg["address"].lower(), market.lower(), "log address")
        fields = {}
        words = bytes.fromhex(lg["data"][2:])
        ti, di = 1, 0
        for inp in ev["inputs"]:
            if inp["indexed"]:
                raw = bytes.fromhex(lg["topics"][ti][2:])
                ti += 1
            else:
                raw = words[32 * di:32 * di + 32]
                di += 1
            if inp["type"] == "address":
                fields[inp["name"]] = "0x" + raw[12:].hex()
            elif inp["type"] == "uint256":
                fields[inp["name"]] = int.from_bytes(raw, "big")
            else:
                fields[inp["name"]] = "0x" + raw.hex()
        t.eq(fields, {"datasetId": dataset, "worker": worker.lower(),
                      "payer": buyer.lower(), "owner": owner.lower(),
                      "amount": amount, "ref": ref}, "Purchased fields")
        fee = amount * 250 // 10000
        owed = int(node.cast("call", market, "owed(address)(uint256)",
                             owner, "--rpc-url", node.url).split()[0])
        t.eq(owed, amount - fee, "owed(owner)")
        owed_fee = int(node.cast("call", market, "owed(address)(uint256)",
                                 fee_to, "--rpc-url", node.url).split()[0])
        t.eq(owed_fee, fee, "owed(fee recipient)")

        # A second purchase with the defaults: no --ref is a zero ref.
        p = cli_ok("buy", dataset, "--worker", worker, "--amount", "0.5",
                   "--no-wait", *chain)
        tx2 = p.stdout.split()[0]
        lg = node.rpc("eth_getTransactionReceipt", tx2)["logs"][0]
        t.eq(lg["data"][-64:], "00" * 32, "the default ref")
        owed += 5 * WEI // 10 - 5 * WEI // 10 * 250 // 10000

        # --- bad inputs: one line, non-zero, nothing sent -----------------
        t.step("bad inputs")
        nonce = node.rpc("eth_getTransactionCount", buyer, "latest")
        cli_bad(2, r"--amount has 19 decimals", "buy", dataset, "--worker",
                worker, "--amount", "0.1234567890123456789", *chain)
        cli_bad(2, r"--amount must be above zero", "buy", dataset,
                "--worker", worker, "--amount", "0", *chain)
        cli_bad(2, r"--amount must be a positive amount of ETH without a "
                r"sign", "buy", dataset, "--worker", worker, "--amount=-1",
                *chain)
        # The same address with one letter's case flipped: a bad EIP-55
        # checksum.
        k = next(i for i, ch in enumerate(worker) if i > 1 and ch.isalpha())
        bad_case = worker[:k] + worker[k].swapcase() + worker[k + 1:]
        cli_bad(2, r"--worker", "buy", dataset, "--worker", bad_case,
                "--amount", "1", *chain)
        cli_bad(2, r"--worker", "buy", dataset, "--worker", worker[:-2],
                "--amount", "1", *chain)
        cli_bad(2, r"--worker is required", "buy", dataset, "--amount", "1",
                *chain)
        cli_bad(2, r"on chain 31337, not 1 \(--chain-id\)", "buy", dataset,
                "--worker", worker, "--amount", "1", "--chain-id", "1",
                *chain)
        cli_bad(1, r"cannot connect to the Ethereum node at 127\.0\.0\.1:1",
                "buy", dataset, "--worker", worker, "--amount", "1",
                "--contract", market, "--rpc-url", "http://127.0.0.1:1")
        cli_bad(2, r"holds no contract on chain 31337", "buy", dataset,
                "--worker", worker, "--amount", "1", "--contract",
                ACCOUNTS[5], "--rpc-url", node.url)
        cli_bad(1, r"answered 404", "buy", "0x" + "42" * 32, "--worker",
                worker, "--amount", "1", *chain)
        cli_bad(1, r"insufficient funds|[Ii]nsufficient", "buy", dataset,
                "--worker", worker, "--amount", "100", *chain)
        # Without --contract the gateway must say which contract it
        # follows; this one runs without a chain.
        cli_bad(1,
                r"(give --contract|follows no chain)", "buy", dataset,
                "--worker", worker, "--amount", "1", "--rpc-url", node.url)
        # Below one ledger unit (1 gwei here), or below the plan's
        # min_purchase: said before anything is sent, and refused.
        cli_bad(2, r"^sluice buy: --amount 0\.0000000001 ETH is below one "
                r"ledger unit of this data-set: it would credit 0 units; pay "
                r"at least 0\.000000001 ETH \(1 units\), or give --force$",
                "buy", dataset, "--worker", worker, "--amount",
                "0.0000000001", *chain)
        cli_bad(2, r"^sluice buy: --amount 0\.0000005 ETH is below the "
                r"plan's min_purchase: it would credit 500 units; pay at "
                r"least 0\.000001 ETH \(1000 units\), or give --force$",
                "buy", dataset_min, "--worker", worker, "--amount",
                "0.0000005", *chain)
        t.eq(node.rpc("eth_getTransactionCount", buyer, "latest"), nonce,
             "the buyer's nonce after the refused buys")
        # --force pays it anyway, saying so.
        p = cli_ok("buy", dataset, "--worker", worker, "--amount",
                   "0.0000000001", "--force", "--no-wait", *chain)
        t.check("paying it anyway (--force)" in p.stderr and
                "it will credit 0 ledger units" in p.stderr,
                "buy --force did not say what it does: %r" % p.stderr)
        owed += 100000000 - 100000000 * 250 // 10000
        p = cli_ok("buy", dataset_min, "--worker", worker, "--amount",
                   "0.000001", "--no-wait", *chain)
        t.check("it will credit 1000 ledger units" in p.stderr,
                "buy at the minimum: %r" % p.stderr)
        owed += 10 ** 12 - 10 ** 12 * 250 // 10000

        # --- dev fund: a new key gets ETH on the dev chain only -----------
        t.step("dev fund")
        fresh = cli_ok("key", "new", key="fresh").stdout.strip()
        p = cli_ok("dev", "fund", fresh, "--amount", "2.5", "--rpc-url",
                   node.url, key="fresh")
        out = p.stdout.strip().splitlines()
        t.check(len(out) == 2 and HASH_RE.match(out[0]) and
                re.match(r"^funded %s with 2\.5 ETH from 0x[0-9a-fA-F]{40} "
                         r"\(dev account 0\) in block \d+$" % fresh, out[1]),
                "dev fund printed %r" % p.stdout)
        t.eq(int(node.cast("balance", fresh, "--rpc-url", node.url)),
             25 * WEI // 10, "the funded balance")
        # The default amount (1 ETH), with the node from $SLUICE_RPC_URL.
        cli_ok("dev", "fund", fresh, extra_env={"SLUICE_RPC_URL": node.url})
        t.eq(int(node.cast("balance", fresh, "--rpc-url", node.url)),
             35 * WEI // 10, "the balance after the second funding")
        with FakeNode(chain_id=1) as fake:
            cli_bad(2, r"^sluice dev fund: the Ethereum node at "
                    r"127\.0\.0\.1:\d+ \(--rpc-url\) is on chain 1 and does "
                    r"not answer "
                    r"anvil_ methods: dev fund gives dev-account ETH on a "
                    r"local dev chain only", "dev", "fund", fresh,
                    "--rpc-url", fake.url)
            t.eq(fake.sends, 0, "transactions sent to a real chain")
        cli_bad(2, r"ADDR", "dev", "fund", "0x1234", "--rpc-url", node.url)

        # --- withdraw -------------------------------------------------------
        t.step("owner withdraws %d wei" % owed)
        before = int(node.cast("balance", owner, "--rpc-url", node.url))
        p = cli_ok("withdraw", "--contract", market, key="owner",
                   extra_env={"SLUICE_RPC_URL": node.url})
        out = p.stdout.strip().splitlines()
        eth = "%d.%s" % (owed // WEI, ("%018d" % (owed % WEI)).rstrip("0"))
        t.check(len(out) == 3 and
                out[0] == "withdrawing %s ETH (%d wei) to %s" %
                (eth, owed, owner) and HASH_RE.match(out[1]) and
                re.match(r"^mined in block \d+$", out[2]),
                "withdraw printed %r" % p.stdout)
        rc = node.rpc("eth_getTransactionReceipt", out[1])
        t.eq(int(rc["status"], 16), 1, "withdraw status")
        gas = int(rc["gasUsed"], 16) * int(rc["effectiveGasPrice"], 16)
        after = int(node.cast("balance", owner, "--rpc-url", node.url))
        t.eq(after - before, owed - gas, "the owner's balance change")
        t.eq(int(node.cast("call", market, "owed(address)(uint256)", owner,
                           "--rpc-url", node.url).split()[0]), 0,
             "owed(owner) after withdrawing")
        cli_bad(1, r"owes .* nothing", "withdraw", *chain, key="owner")
        # The buyer is owed nothing either.
        cli_bad(1, r"there is nothing to withdraw", "withdraw", *chain)

        # --- buy and wait for the credit, through a gateway that follows
        # the chain (contract and chain id from its GET /v1/chain) ---------
        t.step("buy 0.25 ETH and wait: confirming, then credited")
        gw.stop()
        gw.args = ["--rpc-url", node.url, "--contract", market,
                   "--confirmations", "3", "--poll-ms", "50"]
        gw.start()
        env["SLUICE_GATEWAY"] = "http://127.0.0.1:%d" % gw.port
        stop = threading.Event()

        def miner():
            # anvil mines only when a transaction comes: a block a second,
            # so that confirmations accrue while buy waits (slow enough
            # that buy, which looks for its receipt every 500 ms, sees the
            # payment confirming before it is credited).
            while not stop.wait(1.0):
                node.mine(1)
        th = threading.Thread(target=miner, daemon=True)
        th.start()
        try:
            p = cli_ok("buy", dataset, "--worker", worker, "--amount", "0.25",
                       "--rpc-url", node.url)
        finally:
            stop.set()
            th.join()
        out = p.stdout.strip().splitlines()
        units = 25 * WEI // 100 // 10**9  # the plan's unit_wei is 1 gwei
        t.check(len(out) == 3 and HASH_RE.match(out[0]) and
                re.match(r"^mined in block \d+$", out[1]) and
                out[2] == "credited %d units" % units,
                "buy (waiting) printed %r" % p.stdout)
        t.check(re.search(r"confirming [12]/3", p.stderr) is not None,
                "buy showed the confirmations: %r" % p.stderr)
        pay = json.loads(urllib.request.urlopen(
            "http://127.0.0.1:%d/v1/payments/%s" % (gw.port, out[0]),
            timeout=10).read())["payments"][0]
        t.eq(pay["state"], "credited", "the gateway's view of it")
        t.eq(pay["units"], str(units), "its units")

        # --- every command honours --gateway: withdraw finds the contract
        # through the gateway given on the command line, not through a
        # wrong $SLUICE_GATEWAY -------------------------------------------
        t.step("withdraw with --gateway (and a wrong $SLUICE_GATEWAY)")
        p = cli_ok("--gateway", "http://127.0.0.1:%d" % gw.port, "withdraw",
                   "--rpc-url", node.url, key="owner",
                   extra_env={"SLUICE_GATEWAY": "http://127.0.0.1:1"})
        t.check(p.stdout.startswith("withdrawing 0.24375 ETH"),
                "withdraw --gateway printed %r" % p.stdout)
    t.finish()


if __name__ == "__main__":
    main()
