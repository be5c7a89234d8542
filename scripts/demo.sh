#!/usr/bin/env bash
# `make run`: the demo. Starts a local chain (anvil on 127.0.0.1, port
# $SLUICE_ANVIL_PORT, default 8545, a block a second), deploys the market
# contract, starts sluiced on 127.0.0.1 (port $SLUICE_PORT, default 8080)
# following it with a fresh data dir under var/demo, then, as a data owner
# with a new key, creates a priced data-set with the sluice CLI, uploads a
# generated sensor CSV in parts, publishes it; then a buyer with a CLI key
# of its own (funded from anvil's first account with `sluice dev fund`)
# pays for a worker's access with `sluice buy`, which shows the payment
# confirming until the gateway credits it; and it prints the URL of the
# buyer's page and commands that work as printed, on any port. Everything
# keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sluiced=$PWD/$build/sluiced
sluice=$PWD/$build/sluice
dir=$PWD/${SLUICE_DEMO_DIR:-var/demo}
port=${SLUICE_PORT:-8080}
anvil_port=${SLUICE_ANVIL_PORT:-8545}
# anvil's first account (its default mnemonic): the deployer.
deployer_key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
worker=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
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

node_modules/.bin/anvil --host 127.0.0.1 --port "$anvil_port" --block-time 1 \
    >"$dir/anvil.log" 2>&1 &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null; wait "$anvil_pid" 2>/dev/null' EXIT INT TERM
rpc=http://127.0.0.1:$anvil_port
for _ in $(seq 100); do
    grep -q "Listening on" "$dir/anvil.log" 2>/dev/null && break
    kill -0 "$anvil_pid" 2>/dev/null || { cat "$dir/anvil.log" >&2; exit 1; }
    sleep 0.1
done
market=$(scripts/deploy-market.sh "$rpc" "$deployer_key" 250 | tail -n 1)
echo "demo: local chain at $rpc, market contract $market (2.5 % fee)"

"$sluiced" --data-dir "$dir/data" --listen "127.0.0.1:$port" --web-dir web \
    --rpc-url "$rpc" --contract "$market" --confirmations 2 --poll-ms 250 \
    >"$dir/sluiced.out" 2>"$dir/sluiced.log" &
pid=$!
trap 'kill "$pid" "$anvil_pid" 2>/dev/null; wait "$pid" "$anvil_pid" 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
    grep -q "listening on" "$dir/sluiced.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/sluiced.log" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^sluiced: listening on //p' "$dir/sluiced.out")
export SLUICE_GATEWAY=$url SLUICE_KEY=$dir/owner.key

owner=$("$sluice" key new)
echo "demo: the owner's key: $owner"
id=$("$sluice" dataset create --name "Sensor log (demo)" --format csv \
        --description "One reading a second from 50 sensors: temperature, pressure, humidity." \
        --tag iot --tag demo --license CC-BY-4.0 \
        --price-metered per_query=10,per_chunk=5 | tail -n 1)
echo "demo: data-set $id"
"$sluice" upload "$id" "$dir/sensors.csv" --part-size 4M
"$sluice" publish "$id"
"$sluice" show "$id"

# The buyer: a key of the sluice CLI of its own, funded from anvil's first
# account by `sluice dev fund`; `sluice buy` signs and sends the purchase
# (EIP-1559), then
# shows the confirmations until the gateway credits it.
buyer_keyfile=$dir/buyer.key
SLUICE_KEY=$buyer_keyfile "$sluice" key new >/dev/null
buyer=$(SLUICE_KEY=$buyer_keyfile "$sluice" key address)
"$sluice" dev fund "$buyer" --rpc-url "$rpc" >/dev/null
echo "demo: a buyer ($buyer, funded with 1 ETH) buys 0.01 ETH of access for worker $worker"
SLUICE_KEY=$buyer_keyfile SLUICE_RPC_URL=$rpc \
    "$sluice" buy "$id" --worker "$worker" --amount 0.01
# The owner pays gas to withdraw: a little ETH from the dev chain.
"$sluice" dev fund "$owner" --amount 0.1 --rpc-url "$rpc" >/dev/null
echo "demo: the owner's earnings are withdrawn with: $sluice --gateway $url --key $SLUICE_KEY withdraw --rpc-url $rpc"
echo "demo: a key of your own gets ETH on this chain with: $sluice dev fund ADDRESS --rpc-url $rpc"
echo
echo "demo: the buyer's page:  $url/"
echo "demo: the API:           $url/v1/datasets   $url/v1/chain"
echo "demo: gateway log:       $dir/sluiced.log  (Ctrl-C stops the gateway)"
wait "$pid"
