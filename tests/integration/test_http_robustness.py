#!/usr/bin/env python3
"""Robustness of a live sluiced (docs/CONFIG.md, DESIGN.md 3.9): slow
clients are cut off by --read-timeout / --request-deadline while others are
served; 200 concurrent connections all get their answer; SIGTERM lets the
requests under way finish and exits 0; acknowledged parts survive SIGTERM
and kill -9 (and a part cut off by kill -9 leaves nothing), and publish
still works after; /metrics counts requests by route and status in the
Prometheus text format."""

import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sluice_http as sh  # noqa: E402


def raw_request(p, host, port):
    """The bytes of prepared request p, as an HTTP/1.1 request."""
    head = ["%s %s HTTP/1.1" % (p.method, p.target),
            "Host: %s:%d" % (host, port),
            "Content-Length: %d" % len(p.body)]
    head += ["%s: %s" % kv for kv in p.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"), p.body


def read_response(sock, timeout=20):
    """Read one response with a Content-Length (or until close)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        b = sock.recv(65536)
        if not b:
            return sh.parse_raw_response(data) if data else None
        data += b
    r = sh.parse_raw_response(data)
    want = int(r.header("Content-Length") or -1)
    while want >= 0 and len(r.body) < want:
        b = sock.recv(65536)
        if not b:
            break
        r.body += b
    return r


class Slow(threading.Thread):
    """A client that sends a request one byte every `every` seconds and
    notes when the server closes the connection (or answers)."""

    def __init__(self, port, every, name):
        super().__init__(daemon=True)
        self.port, self.every, self.label = port, every, name
        self.cut_after = None
        self.answer = b""
        self.sent = 0

    def run(self):
        payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        t0 = time.monotonic()
        try:
            for i in range(len(payload)):
                if time.monotonic() - t0 > 10:
                    return
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    self.answer = s.recv(4096)
                    self.cut_after = time.monotonic() - t0
                    return
                try:
                    s.send(payload[i:i + 1])
                    self.sent += 1
                except OSError:
                    self.cut_after = time.monotonic() - t0
                    return
                time.sleep(self.every)
        finally:
            s.close()


def main():
    t = sh.Test("test_http_robustness")
    owner = sh.Account()

    # -- many connections -----------------------------------------------------
    t.step("200 concurrent connections, each GET /healthz: all 200")
    srv = sh.Server(t, "many", args=["--rate-limit", "0"]).start()
    c = sh.Client(srv)
    results = [None] * 200
    gate = threading.Barrier(200)

    def one(i):
        try:
            gate.wait(15)
        except threading.BrokenBarrierError:
            pass
        results[i] = c.get("/healthz")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    bad = [r for r in results if r is None or r.status != 200]
    t.check(not bad, "%d of 200 concurrent GET /healthz failed" % len(bad),
            bad[0] if bad else None)
    for r in results:
        if r is not None and r.status == 200:
            t.eq(r.json().get("status"), "ok", "healthz body", r)
            break
    srv.stop()

    # -- restarts in the middle of an upload ----------------------------------
    t.step("restart in the middle of an upload: acknowledged parts survive "
           "SIGTERM and kill -9, a part cut off by kill -9 leaves nothing, "
           "publish works after")
    srv = sh.Server(t, "restart").start()
    c = sh.Client(srv)
    data = b"id,word\n" + b"".join(b"%d,w%d\n" % (i, i * 7)
                                   for i in range(3000))
    parts = [data[:10000], data[10000:20000], data[20000:]]
    d, _ = sh.create_dataset(t, c, owner, {"name": "resumed",
                                           "format": "csv"})
    ds = d["id"]

    def put(n, b):
        r = c.signed(owner, "PUT", "/v1/datasets/%s/parts/%d" % (ds, n), b)
        t.expect_json(r, 200, "PUT part %d" % n)

    def parts_now():
        r = c.signed(owner, "GET", "/v1/datasets/%s/parts" % ds)
        return t.expect_json(r, 200, "GET parts")["parts"]

    def want(k):
        return [{"n": i, "bytes": len(b),
                 "sha256": "0x" + hashlib.sha256(b).hexdigest()}
                for i, b in enumerate(parts[:k], 1)]

    put(1, parts[0])
    put(2, parts[1])
    srv.restart()
    t.eq(parts_now(), want(2), "parts after SIGTERM and restart")
    put(3, parts[2])
    srv.kill9()
    srv.start()
    t.eq(parts_now(), want(3), "parts after kill -9 and restart")
    p = c.prepare(owner, "PUT", "/v1/datasets/%s/parts/4" % ds,
                  b"9,x\n" * 50000)
    head, body = raw_request(p, "127.0.0.1", srv.port)
    cut = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    cut.sendall(head + body[:len(body) // 2])
    time.sleep(0.3)
    srv.kill9()
    cut.close()
    srv.start()
    t.eq(parts_now(), want(3), "parts after kill -9 during the upload of "
         "part 4")
    r = c.signed(owner, "GET", "/v1/datasets/" + ds)
    t.eq(t.expect_json(r, 200, "GET after the restarts").get("state"),
         "uploading", "state after the restarts", r)
    t.expect_json(c.signed(owner, "PUT", "/v1/datasets/%s/price" % ds,
                           json.dumps(sh.METERED)), 200, "PUT price")
    t.expect_json(c.signed(owner, "POST", "/v1/datasets/%s/publish" % ds),
                  202, "publish")
    v = sh.wait_published(t, c, owner, ds)
    t.eq(v.get("rows"), 3000, "rows after publishing the resumed upload")
    srv.stop()
    out = os.path.join(srv.dir, "export.csv")
    pr = subprocess.run([t.sluiced, "export", "--data-dir", srv.data_dir, ds,
                         "-o", out], capture_output=True)
    t.check(pr.returncode == 0, "export exited %d: %s" %
            (pr.returncode, pr.stderr.decode(errors="replace")[-300:]))
    with open(out, "rb") as fh:
        t.check(fh.read() == data, "the exported data-set differs from the "
                "three acknowledged parts")

    # -- metrics --------------------------------------------------------------
    t.step("GET /metrics: Prometheus text, requests counted by route and "
           "status")
    srv = sh.Server(t, "metrics").start()
    c = sh.Client(srv)
    for _ in range(5):
        t.expect(c.get("/healthz"), 200, "healthz")
    for _ in range(2):
        t.expect(c.get("/no/such/route"), 404, "unknown route")
    t.expect(c.send("DELETE", "/healthz"), 405, "DELETE /healthz")
    t.expect(c.send("POST", "/v1/datasets", b"{}"), 401, "unsigned create")
    sh.create_dataset(t, c, owner, {"name": "m", "format": "csv"})
    t.expect(c.get("/v1/datasets/0x" + "ab" * 32), 404, "unknown data-set")
    r = c.get("/metrics")
    t.expect(r, 200, "GET /metrics")
    ctype = r.header("Content-Type") or ""
    t.check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
            "Content-Type of /metrics should be text/plain; version=0.0.4, "
            "is %r" % ctype, r)
    label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
                        r'(\{(%s(?:,%s)*)?\})? ' % (label, label) +
                        r'(-?[0-9.eE+-]+|NaN|[+-]Inf)$')
    typed = {}
    counts = {}
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if line.startswith("# HELP ") or line == "":
            continue
        m = sample.match(line)
        t.check(m is not None, "not a Prometheus sample line: %r" % line, r)
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        t.check(name in typed or base in typed,
                "sample %s before its # TYPE line" % name, r)
        if name == "sluice_http_requests_total":
            labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(3)))
            counts[(labels.get("route"), labels.get("status"))] = \
                float(m.group(4))
    t.eq(typed.get("sluice_http_requests_total"), "counter",
         "# TYPE of sluice_http_requests_total", r)
    for key, n in ((("healthz", "200"), 5), (("unmatched", "404"), 2),
                   (("dataset_create", "401"), 1),
                   (("dataset_create", "201"), 1),
                   (("dataset_get", "404"), 1)):
        t.eq(counts.get(key), n, "requests_total{route=%s,status=%s}" % key,
             r)
    t.check(any(k[1] == "405" for k in counts) and
            sum(v for k, v in counts.items() if k[1] == "405") == 1,
            "the 405 should be counted once: %r" % counts, r)
    r2 = c.get("/metrics")
    t.check('sluice_http_requests_total{route="metrics",status="200"} 1' in
            r2.text, "the first GET /metrics is counted by the second", r2)
    srv.stop()
    # -- rate limit -------------------------------------------------
    t.step("--rate-limit 5 --rate-burst 5: a burst of 20 requests from one "
           "address gets 429 problems with Retry-After; a second later it "
           "is served again")
    srv = sh.Server(t, "rate", args=["--rate-limit", "5", "--rate-burst",
                                     "5"]).start()
    c = sh.Client(srv)
    t0 = time.monotonic()
    answers = [c.get("/healthz") for _ in range(20)]
    took = time.monotonic() - t0
    ok = [r for r in answers if r.status == 200]
    limited = [r for r in answers if r.status == 429]
    t.check(len(ok) + len(limited) == 20, "every answer of the burst should "
            "be 200 or 429: %r" % sorted({r.status for r in answers}))
    most = 5 + int(took * 5) + 1   # the burst, and what refilled meanwhile
    t.check(5 <= len(ok) <= most, "of 20 requests in %.2fs, the burst of 5 "
            "and about 5 a second should pass (at most %d), %d did" %
            (took, most, len(ok)))
    for r in limited[:3]:
        t.expect_problem(r, 429, "a request over the rate")
        ra = r.header("Retry-After") or ""
        t.check(ra.isdigit() and int(ra) >= 1, "a 429 needs Retry-After in "
                "whole seconds, has %r" % ra, r)
    time.sleep(1.2)
    t.expect_json(c.get("/healthz"), 200, "a request a second after the 429s")
    srv.stop()

    # -- slow clients ---------------------------------------------------------
    t.step("--read-timeout 1s --request-deadline 3s: a silent client, a "
           "client sending one header byte per second and one sending a "
           "byte every 0.4 s are cut off, while /healthz keeps answering")
    srv = sh.Server(t, "slow", args=["--read-timeout", "1s",
                                     "--request-deadline", "3s",
                                     "--rate-limit", "0"]).start()
    c = sh.Client(srv)
    silent = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    silent.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half")
    t_silent = time.monotonic()
    per_second = Slow(srv.port, 1.0, "1 byte/s")
    quick = Slow(srv.port, 0.4, "1 byte/0.4 s")
    per_second.start()
    quick.start()
    slowest = 0.0
    n_ok = 0
    silent_cut = None
    while per_second.is_alive() or quick.is_alive():
        t0 = time.monotonic()
        r = c.get("/healthz")
        slowest = max(slowest, time.monotonic() - t0)
        t.expect_json(r, 200, "GET /healthz during the slow clients")
        n_ok += 1
        if silent_cut is None:
            rr, _, _ = select.select([silent], [], [], 0)
            if rr:
                try:
                    silent.recv(4096)
                except OSError:
                    pass
                silent_cut = time.monotonic() - t_silent
        time.sleep(0.25)
    silent.close()
    t.check(slowest < 1.0, "a /healthz took %.2fs while slow clients were "
            "connected" % slowest)
    t.step("  %d /healthz answered meanwhile (slowest %.2fs); silent client "
           "cut after %s s, 1 byte/s after %s s (%d bytes), 1 byte/0.4 s "
           "after %s s (%d bytes)" %
           (n_ok, slowest, silent_cut and "%.1f" % silent_cut,
            per_second.cut_after and "%.1f" % per_second.cut_after,
            per_second.sent, quick.cut_after and "%.1f" % quick.cut_after,
            quick.sent))
    t.check(silent_cut is not None and silent_cut < 3.5,
            "a client silent in the middle of its headers should be cut off "
            "after --read-timeout 1s (cut after: %s)" % silent_cut)
    t.check(per_second.cut_after is not None and per_second.cut_after < 8,
            "a client sending one header byte per second should be cut off "
            "(by --read-timeout 1s or --request-deadline 3s); it sent %d "
            "bytes in %s s" % (per_second.sent, per_second.cut_after))
    t.check(quick.cut_after is not None and quick.cut_after < 8,
            "a client sending a header byte every 0.4 s is never silent for "
            "--read-timeout 1s, so --request-deadline 3s must cut it off "
            "(\"from its first byte to the last byte of its response\"); it "
            "sent %d bytes and was cut after %s s" % (quick.sent,
                                                      quick.cut_after))
    srv.stop()

    # -- graceful stop --------------------------------------------------------
    t.step("SIGTERM while a part upload and an object download are under "
           "way: both finish, new connections are refused, exit 0")
    srv = sh.Server(t, "grace", args=["--shutdown-grace", "10s"]).start()
    c = sh.Client(srv)
    blob = random.Random(5).randbytes(3 << 20)
    pub = sh.publish_dataset(t, c, owner, {
        "name": "big blob", "format": "blob", "chunking": {"bytes": 2 << 20},
        "price": sh.METERED}, blob, nparts=1, what="publish a 3 MiB blob")
    chunk0 = c.get("/v1/datasets/%s/chunks" % pub["id"]).json()["chunks"][0]
    d, _ = sh.create_dataset(t, c, owner, {"name": "grace", "format": "csv"})
    part = b"a,b\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(20000))
    p = c.prepare(owner, "PUT", "/v1/datasets/%s/parts/1" % d["id"], part)
    head, body = raw_request(p, "127.0.0.1", srv.port)
    up = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    up.sendall(head + body[:len(body) // 2])
    down = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    down.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    down.settimeout(20)
    down.connect(("127.0.0.1", srv.port))
    down.sendall(("GET /v1/objects/%s HTTP/1.1\r\nHost: x\r\n\r\n" %
                  chunk0["object_id"]).encode())
    got = down.recv(65536)
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        probe = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        probe.settimeout(2)
        try:
            late = probe.recv(4096)
        except OSError:
            late = b""
        probe.close()
        t.check(not late.startswith(b"HTTP/1.1 200"),
                "a new connection after SIGTERM was served")
    except OSError:
        pass   # refused: as it should be
    try:
        up.sendall(body[len(body) // 2:])
        r = read_response(up)
    except OSError as e:
        r = sh.Response(None, None, [], b"", error=repr(e))
    if r is None:
        r = sh.Response(None, None, [], b"", error="the connection was "
                        "closed without an answer")
    up.close()
    t.check(r is not None and r.status == 200,
            "the part upload under way at SIGTERM should finish with 200",
            r)
    if r is not None and r.status == 200:
        t.eq(json.loads(r.body)["sha256"],
             "0x" + hashlib.sha256(part).hexdigest(), "sha256 of the part "
             "finished after SIGTERM", r)
    try:
        while True:
            b = down.recv(1 << 20)
            if not b:
                break
            got += b
    except OSError:
        pass
    down.close()
    dl = sh.parse_raw_response(got)
    t.check(dl.status == 200 and len(dl.body) == chunk0["stored_bytes"] and
            hashlib.sha256(dl.body).hexdigest() == chunk0["object_id"],
            "the object download under way at SIGTERM should finish: got %d "
            "of %d bytes" % (len(dl.body), chunk0["stored_bytes"]))
    try:
        rc = srv.proc.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    t.eq(rc, 0, "exit status of sluiced after SIGTERM")
    srv.stop()

    # -- connection cap -------------------------------------------------------
    t.step("--max-connections 4: a fifth connection waits (docs/CONFIG.md: "
           "'further ones wait in the kernel's queue') and is served once a "
           "slot frees")
    srv = sh.Server(t, "cap", args=["--max-connections", "4"]).start()
    idle = []
    for _ in range(4):
        s4 = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s4.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        idle.append(s4)
    for s4 in idle:   # each answered, then kept alive: four slots in use
        r = read_response(s4, 10)
        t.check(r is not None and r.status == 200, "a kept-alive connection "
                "under the cap should be served", r)
    fifth = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    fifth.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(1.5)   # past a sweep of the connection table (every 1 s)
    srv.check_alive("a connection over --max-connections sent a request")
    for s4 in idle:
        s4.close()
    try:
        r = read_response(fifth, 10)
    except OSError as e:
        r = sh.Response(None, None, [], b"", error=repr(e))
    if r is None:
        r = sh.Response(None, None, [], b"", error="closed without an answer")
    fifth.close()
    time.sleep(1.2)   # a sweep of the connection table runs every second
    srv.check_alive("a connection over --max-connections")
    t.check(r.status == 200, "the connection over --max-connections should "
            "be served once the others close", r)
    t.expect_json(sh.Client(srv).get("/healthz"), 200,
                  "a request after the cap test")
    srv.stop()

    t.finish()


if __name__ == "__main__":
    main()
