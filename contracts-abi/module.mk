# contracts-abi/: the market contract (Solidity source, ABI JSON, bytecode),
# ABI encoding and decoding in C, the JSON-RPC client, the chain follower.
LIB_SRCS += $(wildcard contracts-abi/*.c)

# The committed ABI JSON and bytecode, rebuilt from Market.sol with the
# pinned solc-js (every compiler setting fixed in the script).
.PHONY: contracts
contracts: bootstrap
	@node scripts/build-contracts.js
