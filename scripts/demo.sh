#!/usr/bin/env bash
# `make run`: the demo. Starts sluiced on 127.0.0.1 (port $SLUICE_PORT,
# default 8080) with a fresh data dir under var/demo, then, as a data owner
# with a new key, creates a priced data-set with the sluice CLI, uploads a
# generated sensor CSV in parts, publishes it, and prints the URL of the
# buyer's page. The gateway keeps running until Ctrl-C.
# (The chain, the market contract and payments come with the next issue.)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sluiced=$PWD/$build/sluiced
sluice=$PWD/$build/sluice
dir=$PWD/${SLUICE_DEMO_DIR:-var/demo}
port=${SLUICE_PORT:-8080}
rows=${SLUICE_DEMO_ROWS:-200000}

rm -rf "$dir"
mkdir -p "$dir"
echo "demo: generating $rows rows of sensor CSV"
python3 - "$dir/sensors.csv" "$rows" <<'PY'
import random, sys
random.seed(1)
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w", newline="") as out:
    out.write("ts,sensor,temp,pressure,humidity,status\n")
    for i in range(rows):
        s = i % 50
        out.write("2024-01-01T%02d:%02d:%02dZ,sensor-%04d,%.2f,%.1f,%.1f,%s\n" % (
            (i // 3600) % 24, (i // 60) % 60, i % 60, s,
            20 + s / 10 + random.random(), 1013 + random.random() * 2,
            40 + random.random() * 20, "ok" if random.random() < 0.98 else "warn"))
PY

"$sluiced" --data-dir "$dir/data" --listen "127.0.0.1:$port" --web-dir web \
    >"$dir/sluiced.out" 2>"$dir/sluiced.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
    grep -q "listening on" "$dir/sluiced.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/sluiced.log" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^sluiced: listening on //p' "$dir/sluiced.out")
export SLUICE_GATEWAY=$url SLUICE_KEY=$dir/owner.key

echo "demo: the owner's key: $("$sluice" key new)"
id=$("$sluice" dataset create --name "Sensor log (demo)" --format csv \
        --description "One reading a second from 50 sensors: temperature, pressure, humidity." \
        --tag iot --tag demo --license CC-BY-4.0 \
        --price-metered per_query=10,per_chunk=5 | tail -n 1)
echo "demo: data-set $id"
"$sluice" upload "$id" "$dir/sensors.csv" --part-size 4M
"$sluice" publish "$id"
"$sluice" show "$id"
echo
echo "demo: the buyer's page:  $url/"
echo "demo: the API:           $url/v1/datasets"
echo "demo: gateway log:       $dir/sluiced.log  (Ctrl-C stops the gateway)"
wait "$pid"
