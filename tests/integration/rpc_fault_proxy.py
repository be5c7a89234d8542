"""A JSON-RPC fault proxy for the chain tests: it sits between sluiced and
anvil on 127.0.0.1 (port 0) and, per request, passes it through or does
one of the things a real node, load balancer or network does to a client.
Standard-library Python only.

    proxy = FaultProxy(upstream_url, seed=7).start()
    proxy.mode = "faults"     # "pass", "faults" or "garbage"
    ... sluiced --rpc-url proxy.url ...
    proxy.counts              # {"pass": 812, "drop": 31, ...}

Faults in mode "faults" (weights in FaultProxy.WEIGHTS):
  drop        close the connection without an answer
  http500     HTTP 500 with a text body
  http502     HTTP 502 with an HTML body
  empty_logs  eth_getLogs answers [] without error (a node behind a load
              balancer that has not indexed the range yet); the headers in
              the same batch pass through
  stale_head  eth_getBlockByNumber("latest") answers an older head it saw
  truncate    the answer cut short: Content-Length of the whole and fewer
              bytes then close, or a short body with its own length
  oversized   the answer padded past 16 MiB (the client's limit)
  delay       wait past the client's deadline (10 s), then answer; at most
              delay_budget times in a run, since each costs the test 10 s

Mode "garbage" answers everything with junk: malformed JSON, block numbers
of 100 hex digits, missing fields, wrong types, truncated bodies.
"""

import http.client
import http.server
import json
import random
import socket
import socketserver
import threading
import time
import urllib.parse

OVERSIZE = (16 << 20) + 4096


class FaultProxy:
    WEIGHTS = {"pass": 60, "drop": 5, "http500": 4, "http502": 3,
               "empty_logs": 6, "stale_head": 8, "truncate": 5,
               "oversized": 1, "delay": 1}

    def __init__(self, upstream, seed=1, delay_s=10.5, delay_budget=2):
        u = urllib.parse.urlparse(upstream)
        self.up_host, self.up_port = u.hostname, u.port
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.mode = "pass"
        self.delay_s = delay_s
        self.delay_budget = delay_budget
        self.counts = {}
        self.heads = []          # "latest" blocks seen, newest last
        # In any mode: empty the next lie_logs eth_getLogs answers that
        # hold logs (a backend that has not indexed them yet).
        self.lie_logs = 0
        # In any mode: answer the next stale_heads "latest" with the
        # oldest head remembered (a backend that lags behind).
        self.stale_heads = 0
        self.server = None
        self.url = None

    # --- life --------------------------------------------------------------

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                try:
                    proxy._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # --- helpers -----------------------------------------------------------

    def _pick(self):
        with self.lock:
            if self.mode == "pass":
                kind = "pass"
            elif self.mode == "garbage":
                kind = "garbage"
            else:
                kinds = list(self.WEIGHTS)
                kind = self.rng.choices(kinds,
                                        [self.WEIGHTS[k] for k in kinds])[0]
                if kind == "delay":
                    if self.delay_budget <= 0:
                        kind = "pass"
                    else:
                        self.delay_budget -= 1
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind

    def _rand(self):
        with self.lock:
            return self.rng.random()

    def _upstream(self, body):
        c = http.client.HTTPConnection(self.up_host, self.up_port, timeout=60)
        try:
            c.request("POST", "/", body,
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    @staticmethod
    def _send(h, status, body, ctype="application/json", length=None,
              close=False):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) if length is None
                                            else length))
        if close:
            h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        if close:
            h.close_connection = True

    @staticmethod
    def _drop(h):
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- the rewrites ------------------------------------------------------

    def _remember_heads(self, reqs, resps):
        by_id = {r.get("id"): r for r in resps if isinstance(r, dict)}
        for q in reqs:
            if q.get("method") == "eth_getBlockByNumber" and \
                    q.get("params", [None])[0] == "latest":
                r = by_id.get(q.get("id"))
                if r and isinstance(r.get("result"), dict):
                    with self.lock:
                        self.heads.append(r["result"])
                        del self.heads[:-16]

    def _rewrite(self, kind, reqs, resps, oldest=False):
        """empty_logs and stale_head: change the matching answers; returns
        whether any changed."""
        by_id = {r.get("id"): r for r in resps if isinstance(r, dict)}
        changed = False
        for q in reqs:
            r = by_id.get(q.get("id"))
            if r is None or "result" not in r:
                continue
            if kind == "empty_logs" and q.get("method") == "eth_getLogs" \
                    and isinstance(r["result"], list) and r["result"]:
                r["result"] = []
                changed = True
            if kind == "stale_head" and \
                    q.get("method") == "eth_getBlockByNumber" and \
                    q.get("params", [None])[0] == "latest":
                with self.lock:
                    older = [b for b in self.heads
                             if isinstance(r["result"], dict) and
                             b.get("number") != r["result"].get("number")]
                    if older:
                        r["result"] = older[0] if oldest else \
                            self.rng.choice(older)
                        changed = True
        return changed

    def _garbage_result(self, method):
        """A junk result for method."""
        with self.lock:
            k = self.rng.randrange(9)
        huge = "0x" + "f" * 100
        if method == "eth_getBlockByNumber":
            return [
                {"number": huge, "hash": "0x" + "11" * 32,
                 "parentHash": "0x" + "22" * 32, "timestamp": "0x1"},
                {"number": "0x10"},                          # no hash
                {"number": 16, "hash": 7, "parentHash": None},
                {"number": "0x10", "hash": "0x1234",
                 "parentHash": "0x" + "zz" * 32, "timestamp": "0x1"},
                "0x10", [], 12345, {"number": "-0x1", "hash": "",
                                    "parentHash": ""}, True][k]
        if method == "eth_getLogs":
            return [
                [{"address": "0x12", "topics": "x"}],
                {"logs": []}, [{"blockNumber": huge}], "[]",
                [None], [{"address": "0x" + "00" * 20, "topics": [],
                          "data": "0xzz", "blockNumber": "0x1",
                          "blockHash": "0x00", "transactionHash": huge,
                          "logIndex": huge, "transactionIndex": "0x0"}],
                [[]], 0, None][k]
        return [huge, "0x", None, {"x": 1}, [], "chain", -1, 1e308,
                "0x" + "9" * 80][k]

    def _garbage(self, h, reqs, is_batch):
        with self.lock:
            k = self.rng.randrange(6)
        if k == 0:
            return self._send(h, 200, b'{"jsonrpc": "2.0", "id": 1, "resu')
        if k == 1:
            return self._send(h, 200, b"<html>bad gateway</html>",
                              "text/html")
        if k == 2:   # Content-Length promises more than comes
            return self._send(h, 200, b'[{"jsonrpc":"2.0"', length=4096,
                              close=True)
        if k == 3:   # ids that match nothing, or none at all
            body = [{"jsonrpc": "2.0", "id": 99999 + i, "result": "0x1"}
                    for i in range(len(reqs))]
            return self._send(h, 200, json.dumps(body if is_batch
                                                 else body[0]).encode())
        out = []
        for q in reqs:
            d = {"jsonrpc": "2.0", "id": q.get("id")}
            if k == 4:
                d["result"] = self._garbage_result(q.get("method"))
            else:
                d["error"] = {"code": "x" * 5, "message": None}
            out.append(d)
        return self._send(h, 200, json.dumps(out if is_batch
                                             else out[0]).encode())

    # --- one request -------------------------------------------------------

    def _handle(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n)
        kind = self._pick()
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        is_batch = isinstance(doc, list)
        reqs = doc if is_batch else ([doc] if isinstance(doc, dict) else [])
        if kind == "garbage":
            return self._garbage(h, reqs, is_batch)
        if kind == "drop":
            return self._drop(h)
        if kind == "http500":
            return self._send(h, 500, b"internal error", "text/plain")
        if kind == "http502":
            return self._send(h, 502, b"<html><body>502 Bad Gateway</body>"
                              b"</html>", "text/html")
        status, out = self._upstream(body)
        if kind == "delay":
            time.sleep(self.delay_s)
        try:
            resp = json.loads(out)
        except ValueError:
            resp = None
        resps = resp if isinstance(resp, list) else [resp]
        if status == 200 and resp is not None:
            self._remember_heads(reqs, resps)
            if kind in ("empty_logs", "stale_head") and \
                    self._rewrite(kind, reqs, resps):
                out = json.dumps(resp).encode()
            elif self.lie_logs > 0 and \
                    self._rewrite("empty_logs", reqs, resps):
                with self.lock:
                    self.lie_logs -= 1
                    self.counts["lie_logs"] = \
                        self.counts.get("lie_logs", 0) + 1
                out = json.dumps(resp).encode()
            elif self.stale_heads > 0 and \
                    self._rewrite("stale_head", reqs, resps, oldest=True):
                with self.lock:
                    self.stale_heads -= 1
                    self.counts["stale_heads"] = \
                        self.counts.get("stale_heads", 0) + 1
                out = json.dumps(resp).encode()
        if kind == "truncate" and len(out) > 2:
            cut = out[:len(out) // 2]
            if self._rand() < 0.5:
                return self._send(h, status, cut, length=len(out), close=True)
            return self._send(h, status, cut)
        if kind == "oversized":
            # Valid JSON, padded with whitespace past the client's limit.
            return self._send(h, status, out + b" " * OVERSIZE)
        return self._send(h, status, out)
