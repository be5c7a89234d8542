#!/usr/bin/env python3
"""The follower shrinks its eth_getLogs range when the node refuses a large
one (issue 4), as hosted nodes do: between sluiced and a real anvil, a
proxy of the test's own answers every eth_getLogs over more than MAX blocks
with a JSON-RPC error object, the way such nodes word it. The gateway,
started with --max-log-range 2000, must halve its range until the node
takes it, credit every payment, and never skip a block."""

import atexit
import http.server
import json
import os
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, Anvil  # noqa: E402

MAX = 5
N = 60
CONF = 2


class RangeCap:
    """A JSON-RPC proxy that refuses eth_getLogs over more than MAX
    blocks and passes everything else to upstream."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.refused = 0
        self.largest_taken = 0
        self.lock = threading.Lock()
        cap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                out = cap.handle(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def handle(self, body):
        doc = json.loads(body)
        reqs = doc if isinstance(doc, list) else [doc]
        refuse = {}
        for r in reqs:
            if r.get("method") == "eth_getLogs":
                flt = r["params"][0]
                span = int(flt["toBlock"], 16) - int(flt["fromBlock"], 16) + 1
                with self.lock:
                    if span > MAX:
                        self.refused += 1
                        refuse[r["id"]] = {
                            "jsonrpc": "2.0", "id": r["id"], "error": {
                                "code": -32005,
                                "message": "query exceeds max block range %d"
                                           % MAX}}
                    else:
                        self.largest_taken = max(self.largest_taken, span)
        req = urllib.request.Request(self.upstream, data=body, headers={
            "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())
        if isinstance(answer, list):
            answer = [refuse.get(a.get("id"), a) for a in answer]
        elif answer.get("id") in refuse:
            answer = refuse[answer["id"]]
        return json.dumps(answer).encode()


def main():
    t = sh.Test("test_chain_ranges")
    node = Anvil(log_dir=os.path.join(t.tmp, "anvil")).start()
    atexit.register(node.stop)
    market = node.deploy_market()
    srv, owner, ds = sh.paid_dataset(t)
    data = node.cast("calldata", "purchase(bytes32,address,address,bytes32)",
                     ds["id"], owner.address, ACCOUNTS[2], "0x" + "00" * 32)
    t.step("%d purchases, one a block, then a few empty blocks" % N)
    for i in range(N):
        node.receipt(node.send(ACCOUNTS[1], market, data,
                               value=10**9 * (i + 1)))
        if i % 10 == 9:
            node.mine(3)
    node.mine(CONF)
    last = node.block_number()

    proxy = RangeCap(node.url)
    atexit.register(proxy.server.shutdown)
    srv.args = ["--rpc-url", proxy.url, "--contract", market,
                "--confirmations", str(CONF), "--poll-ms", "30",
                "--max-log-range", "2000"]
    srv.start()
    c = sh.Client(srv)
    deadline = time.monotonic() + 60
    d = None
    while time.monotonic() < deadline:
        d = c.get("/v1/chain").json()
        if d.get("last_credited_block") is not None and \
                d["last_credited_block"] >= last - CONF + 1:
            break
        time.sleep(0.02)
    else:
        t.fail("the follower did not catch up through the range cap: %r" %
               d)
    t.step("caught up: %d ranges refused, the largest taken %d blocks" %
           (proxy.refused, proxy.largest_taken))
    t.check(proxy.refused >= 1, "the node refused a range")
    t.check(0 < proxy.largest_taken <= MAX, "every range taken is within "
            "the cap (%d)" % proxy.largest_taken)
    n, s = srv.db().execute("SELECT count(*), sum(units) FROM payments "
                            "WHERE state = 'credited'").fetchone()
    t.eq(n, N, "every payment credited")
    t.eq(s, N * (N + 1) // 2, "their units")
    log = srv.stderr_text()
    t.check("asking" in log and "blocks at a time" in log,
            "the log says the range shrank")
    srv.stop()
    t.finish()


if __name__ == "__main__":
    main()
