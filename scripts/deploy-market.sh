#!/usr/bin/env bash
# Deploy contracts-abi/Market.bin with the pinned cast, and print the new
# contract's address (the last line of stdout).
#
#   scripts/deploy-market.sh RPC_URL PRIVATE_KEY [FEE_BPS [FEE_RECIPIENT]]
#
# The key pays for the deployment; FEE_BPS (default 0, at most 10000) of
# every purchase goes to FEE_RECIPIENT (default: the deployer's address).
# What the constructor takes is fixed by DESIGN.md 3.7:
# constructor(uint16 feeBps, address feeRecipient).
set -euo pipefail
cd "$(dirname "$0")/.."
cast=node_modules/.bin/cast
[ -x "$cast" ] || { echo "deploy-market: $cast is missing: run make bootstrap" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: $0 RPC_URL PRIVATE_KEY [FEE_BPS [FEE_RECIPIENT]]" >&2; exit 2; }
rpc=$1 key=$2 fee=${3:-0}
recipient=${4:-$("$cast" wallet address --private-key "$key")}
code=$(tr -d '\n' <contracts-abi/Market.bin)
args=$("$cast" abi-encode "constructor(uint16,address)" "$fee" "$recipient")
out=$("$cast" send --rpc-url "$rpc" --private-key "$key" --json \
        --create "0x$code${args#0x}")
addr=$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert int(r["status"],16)==1, r; print(r["contractAddress"])')
echo "$addr"
