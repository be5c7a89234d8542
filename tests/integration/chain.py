"""A real anvil node for the chain tests: started on a free loopback port,
stopped by pid, with a small JSON-RPC client and the market contract's
deployment. Used by the tests of tests/integration and by bench/.

    from chain import Anvil
    with Anvil() as node:                 # anvil on 127.0.0.1:<free port>
        node.rpc("eth_blockNumber")       # -> "0x0"
        market = node.deploy_market(fee_bps=250, fee_recipient=ACCOUNTS[9])

anvil's first ten accounts (the default mnemonic) are unlocked, so
eth_sendTransaction works from them without keys; ACCOUNTS and KEYS list
them.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "node_modules", ".bin")
ANVIL = os.path.join(BIN, "anvil")
CAST = os.path.join(BIN, "cast")
CONTRACTS = os.path.join(ROOT, "contracts-abi")

# anvil's default accounts ("test test ... junk" mnemonic).
KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]
ACCOUNTS = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
]

LISTEN_RE = re.compile(rb"Listening on 127\.0\.0\.1:(\d+)")


class RpcError(Exception):
    def __init__(self, method, error):
        super().__init__("%s: %s" % (method, error))
        self.method = method
        self.error = error


class Anvil:
    """anvil on 127.0.0.1, port 0 (the kernel picks a free one; anvil
    prints it). args are extra anvil flags, e.g. ["--block-time", "1"]."""

    def __init__(self, args=(), log_dir=None, chain_id=None):
        self.args = list(args)
        if chain_id is not None:
            self.args += ["--chain-id", str(chain_id)]
        self.log_dir = log_dir
        self.proc = None
        self.port = None
        self.url = None
        self._log = None
        self._id = 0

    def start(self, timeout=30):
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
            path = os.path.join(self.log_dir, "anvil.log")
        else:
            path = os.devnull
        self._log_path = path
        self._log = open(path, "ab") if self.log_dir else None
        cmd = [ANVIL, "--host", "127.0.0.1", "--port", str(self.port or 0)]
        cmd += self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        seen = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError("anvil exited %s: %s" %
                                       (self.proc.returncode, seen[-2000:]))
                continue
            seen += line
            if self._log:
                self._log.write(line)
            m = LISTEN_RE.search(line)
            if m:
                self.port = int(m.group(1))
                self.url = "http://127.0.0.1:%d" % self.port
                break
        else:
            self.stop()
            raise RuntimeError("anvil printed no 'Listening' line")
        # Keep draining its output so that it never blocks on a full pipe.
        import threading
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        proc = self.proc
        for line in iter(proc.stdout.readline, b""):
            if self._log:
                self._log.write(line)
                self._log.flush()

    def stop(self):
        """Stop anvil by pid; the port is kept for a restart (start()
        binds it again)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._log:
            self._log.close()

    # --- JSON-RPC ----------------------------------------------------------

    def rpc(self, method, *params):
        """One JSON-RPC call; returns its result or raises RpcError."""
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id,
                           "method": method, "params": list(params)})
        req = urllib.request.Request(self.url, data=body.encode(),
                                     headers={"Content-Type":
                                              "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            doc = json.loads(resp.read())
        if "error" in doc:
            raise RpcError(method, doc["error"])
        return doc["result"]

    def rpc_batch(self, calls):
        """calls: [(method, [params])]; returns the results in order
        (raises RpcError on the first error)."""
        body = []
        for method, params in calls:
            self._id += 1
            body.append({"jsonrpc": "2.0", "id": self._id, "method": method,
                         "params": list(params)})
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                     headers={"Content-Type":
                                              "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            docs = json.loads(resp.read())
        by_id = {d["id"]: d for d in docs}
        out = []
        for (method, _), req_doc in zip(calls, body):
            d = by_id[req_doc["id"]]
            if "error" in d:
                raise RpcError(method, d["error"])
            out.append(d["result"])
        return out

    def block_number(self):
        return int(self.rpc("eth_blockNumber"), 16)

    def mine(self, n=1):
        self.rpc("anvil_mine", hex(n))

    def send(self, frm, to, data="0x", value=0, gas=None):
        """eth_sendTransaction from an unlocked account; returns the hash."""
        tx = {"from": frm, "data": data, "value": hex(value)}
        if to is not None:
            tx["to"] = to
        if gas is not None:
            tx["gas"] = hex(gas)
        return self.rpc("eth_sendTransaction", tx)

    def receipt(self, tx_hash, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.rpc("eth_getTransactionReceipt", tx_hash)
            if r is not None:
                return r
            time.sleep(0.05)
        raise RuntimeError("no receipt for %s" % tx_hash)

    def cast(self, *args):
        """Run the pinned cast; returns its stdout, stripped."""
        out = subprocess.run([CAST] + list(args), check=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def deploy_market(self, fee_bps=0, fee_recipient=None, frm=None):
        """Deploy contracts-abi/Market.bin with constructor(uint16 feeBps,
        address feeRecipient); returns the contract's address."""
        with open(os.path.join(CONTRACTS, "Market.bin")) as fh:
            code = fh.read().strip()
        if not code.startswith("0x"):
            code = "0x" + code
        args = self.cast("abi-encode", "constructor(uint16,address)",
                         str(fee_bps), fee_recipient or ACCOUNTS[9])
        tx = self.send(frm or ACCOUNTS[0], None, code + args[2:])
        r = self.receipt(tx)
        if int(r["status"], 16) != 1 or not r.get("contractAddress"):
            raise RuntimeError("deploying Market failed: %r" % r)
        return r["contractAddress"]
