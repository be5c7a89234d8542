# contracts-abi/: the market contract (Solidity source, ABI JSON, bytecode),
# ABI encoding and decoding in C, the JSON-RPC client, the chain follower.
LIB_SRCS += $(wildcard contracts-abi/*.c)

# The committed ABI JSON and bytecode, rebuilt from Market.sol with the
# pinned solc-js (every compiler setting fixed in the script).
.PHONY: contracts
contracts: bootstrap
	@node scripts/build-contracts.js

# The ABI JSON, embedded in the library at build time (abi_market_json in
# contracts-abi/abi.h): a generated C source under $(BUILD)/gen, so that the
# gateway reads the very JSON committed beside Market.sol and no copy of it
# is kept by hand. od and sed turn the bytes into an array initialiser.
ABI_JSON_C := $(BUILD)/gen/contracts-abi/market_abi_json.c
LIB_SRCS += $(ABI_JSON_C)

$(ABI_JSON_C): contracts-abi/Market.abi.json contracts-abi/module.mk
	@mkdir -p $(dir $@)
	{ echo '/* Generated from contracts-abi/Market.abi.json by'; \
	  echo ' * contracts-abi/module.mk: do not edit. */'; \
	  echo '#include "contracts-abi/abi.h"'; \
	  echo 'static const char abi_market_json_text[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00};'; \
	  echo 'const char *abi_market_json(size_t *len)'; \
	  echo '{'; \
	  echo '    *len = sizeof abi_market_json_text - 1;'; \
	  echo '    return abi_market_json_text;'; \
	  echo '}'; } >$@.tmp && mv $@.tmp $@
