# contracts-abi/: the market contract (Solidity source, ABI JSON, bytecode),
# ABI encoding and decoding in C, the JSON-RPC client, the chain follower.
LIB_SRCS += $(wildcard contracts-abi/*.c)
