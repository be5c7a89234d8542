#!/usr/bin/env python3
"""The buyers' and owners' page in a real browser (issue 11): Debian's
headless Chromium driven by playwright-core (web_test.mjs) against a live
sluiced that follows a real anvil, with the market contract deployed.

This script sets the scene: anvil and the contract, owners' data-sets made
and published with the `sluice` CLI (keys of anvil's unlocked accounts, so
the injected wallet of the browser test can act as them), a hostile name,
and 10,000 more data-sets copied into the catalogue (seed_catalogue.py).
Then web_test.mjs plays the people: browse, search, filter, page and go
back; open a data-set; quote; pay from an injected EIP-1193 wallet that
forwards to anvil (a real transaction) and follow it to credited; a worker
runs queries with `sluice query`; sign in and see usage; the owner sees
earnings and withdraws; the wrong-chain, rejected and no-wallet paths; a
phone-sized screen. It saves a screenshot of each page under the test's
log folder and fails on any console error or dialog. It prints the first
page's time to usable and a search's server time as figures."""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sluice_http as sh  # noqa: E402
from chain import ACCOUNTS, KEYS, Anvil  # noqa: E402
from seed_catalogue import seed  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
WEI = 10 ** 18
SEED = int(os.environ.get("SLUICE_WEB_SEED", "10000"))


def main():
    t = sh.Test("test_web")
    build = os.environ.get("SLUICE_BUILD") or os.path.dirname(t.sluiced)
    sluice = os.path.join(os.path.abspath(build), "sluice")
    t.check(os.access(sluice, os.X_OK), "%s is not executable" % sluice)
    chromium = os.environ.get("SLUICE_CHROMIUM", "/usr/bin/chromium")
    t.check(os.access(chromium, os.X_OK),
            "%s is missing: scripts/bootstrap.sh installs Debian's chromium"
            % chromium)
    for f in ("ethers.min.js", "uPlot.esm.js", "uPlot.min.css"):
        t.check(os.path.exists(os.path.join(ROOT, "web", f)),
                "web/%s is missing: scripts/bootstrap.sh copies it" % f)

    # Screenshots and the browser's log: under tests/run.sh's log folder
    # when it runs us, kept either way.
    base = os.environ.get("SLUICE_TEST_LOG_DIR")
    if base:
        art = os.path.join(base, "test_web")
    else:
        import tempfile
        art = tempfile.mkdtemp(prefix="sluice-test_web-artifacts.",
                               dir=os.environ.get("TMPDIR"))
    os.makedirs(art, exist_ok=True)
    t.step("artifacts (screenshots) in %s" % art)

    keys = os.path.join(t.tmp, "keys")
    os.makedirs(keys)
    # anvil's dev accounts: 1 and 2 own data-sets, 3 is the CLI worker, 4
    # and 5 buy in the browser, 9 takes the market's fee.
    for i in (1, 2, 3, 4, 5):
        path = os.path.join(keys, "acct%d.key" % i)
        with open(path, "w") as fh:
            fh.write(KEYS[i] + "\n")
        os.chmod(path, 0o600)

    with Anvil(log_dir=os.path.join(t.tmp, "anvil")) as node:
        market = node.deploy_market(fee_bps=250, fee_recipient=ACCOUNTS[9])
        gw_args = ["--rpc-url", node.url, "--contract", market,
                   "--confirmations", "3", "--poll-ms", "100"]
        gw = sh.Server(t, web_dir=os.path.join(ROOT, "web"),
                       args=gw_args).start()
        env = dict(os.environ)
        env["SLUICE_GATEWAY"] = "http://127.0.0.1:%d" % gw.port
        env.pop("SLUICE_RPC_URL", None)

        def cli(key, *args):
            e = dict(env)
            e["SLUICE_KEY"] = os.path.join(keys, key + ".key")
            p = subprocess.run([sluice] + list(args), capture_output=True,
                               text=True, env=e, timeout=300)
            if sh.SANITIZER_RE.search(p.stderr):
                t.fail("sanitizer report from sluice %s:\n%s" %
                       (" ".join(args), p.stderr))
            t.check(p.returncode == 0, "sluice %s exited %d: %s" %
                    (" ".join(args), p.returncode, p.stderr.strip()))
            return p.stdout.strip()

        def publish(key, path, content, *create):
            ds = cli(key, "dataset", "create", *create)
            with open(os.path.join(t.tmp, path), "w") as fh:
                fh.write(content)
            cli(key, "upload", ds, os.path.join(t.tmp, path))
            cli(key, "publish", ds)
            return ds

        t.step("owners publish data-sets with the CLI")
        air = publish(
            "acct1", "air.csv",
            "station,day,pm25,no2,city\n" + "".join(
                "S%02d,2024-%02d-%02d,%d.%d,%d,%s\n" %
                (i % 12, 1 + i % 12, 1 + i % 28, 5 + i % 40, i % 10,
                 10 + i % 70, ("Lyon", "Paris", "Nice")[i % 3])
                for i in range(6000)),
            "--name", "Air quality, Lyon 2024", "--format", "csv",
            "--description", "Daily particulate (PM2.5) and NO2 readings "
            "from 12 stations.\nOne row per station and day.",
            "--tag", "air", "--tag", "city", "--license", "CC-BY-4.0",
            "--chunk-rows", "500", "--preview-rows", "8",
            "--price-json", '{"kind":"metered","unit_wei":"1000000000",'
            '"per_query":"20000","per_chunk":"5000","per_row":"0",'
            '"per_mib":"1000","min_purchase":"100000"}')
        ships = publish(
            "acct1", "ships.jsonl",
            "".join(json.dumps({"ts": 1700000000 + 60 * i,
                                "vessel": "IMO%07d" % (9000000 + i % 50),
                                "port": ("Rotterdam", "Antwerp", "Hamburg")
                                [i % 3], "teu": i % 900,
                                "late": i % 7 == 0}) + "\n"
                    for i in range(3000)),
            "--name", "Port calls, North Sea", "--format", "jsonl",
            "--description", "Container ship arrivals with their load.",
            "--tag", "logistics", "--tag", "city", "--chunk-rows", "400",
            "--preview-rows", "5",
            "--price-pass", "price=5000000,duration=30d")
        hostile = publish(
            "acct2", "hostile.csv", "a,b\n1,2\n3,4\n",
            "--name", "<img src=x onerror=alert(1)>", "--format", "csv",
            "--description", "<script>alert(2)</script> & <b>bold</b>",
            "--tag", "xss", "--price-metered", "per_query=1000")
        blob = publish(
            "acct2", "blob.bin", "x" * 20000,
            "--name", "Scanned maps (blob)", "--format", "blob",
            "--tag", "geo", "--chunk-size", "8192",
            "--price-metered", "per_chunk=300")

        t.step("seed %d more data-sets into the catalogue" % SEED)
        gw.stop()
        seed(os.path.join(gw.data_dir, "sluice.db"), [air, ships], SEED,
             [ACCOUNTS[6], ACCOUNTS[7], ACCOUNTS[8]])
        gw.start()
        url = "http://127.0.0.1:%d/" % gw.port
        env["SLUICE_GATEWAY"] = url.rstrip("/")

        cfg = {
            "url": url, "rpc": node.url, "market": market,
            "chain_id": 31337, "accounts": ACCOUNTS, "art": art,
            "sluice": sluice, "keys": keys, "seeded": SEED,
            "datasets": {"air": air, "ships": ships, "hostile": hostile,
                         "blob": blob},
            "chromium": chromium, "anvil_pid": node.proc.pid,
        }
        cfg_path = os.path.join(t.tmp, "web.json")
        with open(cfg_path, "w") as fh:
            json.dump(cfg, fh)
        t.step("the browser test (web_test.mjs)")
        p = subprocess.run(["node", os.path.join(HERE, "web_test.mjs"),
                            cfg_path], cwd=ROOT, timeout=900)
        # The server's own time for the catalogue's answers, from its
        # access log (the browser's figures add the loopback and its own
        # work; the log names no query string, so these are all of them:
        # pages, searches, tags, owners).
        times = sorted(float(m.group(1)) for m in re.finditer(
            r" GET /v1/datasets 200 \d+ ([0-9.]+)ms", gw.stderr_text()))
        if times:
            print("FIGURE server time of the %d catalogue answers "
                  "(GET /v1/datasets, %d data-sets): median %.1f ms, 90th "
                  "percentile %.1f ms, max %.1f ms" %
                  (len(times), SEED + 4, times[len(times) // 2],
                   times[int(len(times) * 0.9)], times[-1]), flush=True)
        t.check(p.returncode == 0, "web_test.mjs exited %d" % p.returncode)
        gw.check_alive("the browser test")
    t.finish()


if __name__ == "__main__":
    main()
