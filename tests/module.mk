# tests/: cmocka unit tests mirror the sources (tests/unit/<folder>/
# test_<file>.c); each becomes its own binary linked against the library.
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_TESTS += $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT_SRCS))

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJS) $(LIBSLUICE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

-include $(patsubst tests/unit/%.c,$(BUILD)/obj/tests/unit/%.d,$(UNIT_SRCS))

# In-process HTTP tests (tests/http/test_<concept>.c): the gateway started
# inside the test binary on port 0 (tests/support/gwtest.h); tests/run.sh
# runs them beside the unit tests.
HTTP_SRCS := $(wildcard tests/http/test_*.c)
UNIT_TESTS += $(patsubst tests/http/%.c,$(BUILD)/tests/http/%,$(HTTP_SRCS))

$(BUILD)/tests/http/%: $(BUILD)/obj/tests/http/%.o $(TEST_SUPPORT_OBJS) $(LIBSLUICE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

-include $(patsubst tests/http/%.c,$(BUILD)/obj/tests/http/%.d,$(HTTP_SRCS))

# Seeded simulations (tests/sim/sim_<part>.c): the real code driven by
# random steps and checked against a model after each one; tests/run.sh
# runs each with a fixed seed, `make soak-ledger` with many.
SIM_SRCS := $(wildcard tests/sim/sim_*.c)
SIMS := $(patsubst tests/sim/%.c,$(BUILD)/tests/sim/%,$(SIM_SRCS))
UNIT_TESTS += $(SIMS)

$(BUILD)/tests/sim/%: $(BUILD)/obj/tests/sim/%.o $(TEST_SUPPORT_OBJS) $(LIBSLUICE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

-include $(patsubst tests/sim/%.c,$(BUILD)/obj/tests/sim/%.d,$(SIM_SRCS))

-include $(TEST_SUPPORT_OBJS:.o=.d)

# Fuzz targets (tests/fuzz/fuzz_<name>.c) are built with clang's libFuzzer,
# ASan and UBSan into build/fuzz, from the same sources as the library.
FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -I. $(PKG_CFLAGS) -O1 -g \
              -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -MMD -MP
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))

.PHONY: fuzz fuzz-targets
fuzz: $(FUZZ_BINS)

fuzz-targets:
ifeq ($(SLUICE_SKIP_FUZZ),)
	@$(MAKE) --no-print-directory fuzz
endif

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

-include $(FUZZ_LIB_OBJS:.o=.d)

# Helper programs of the live-binary tests (tests/tools/<name>.c), one
# file each, linked against the library: they put a data dir in a state
# that only the gateway's own calls or its chain follower make
# (mk_audit_log: real audit entries, for test_audit_cli.sh; ledger_credit:
# a stopped gateway's ledger credited as its follower would). Built with
# `all`; tests/run.sh does not run them.
TOOL_SRCS := $(wildcard tests/tools/*.c)
PROGRAMS += $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOL_SRCS))

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBSLUICE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(patsubst tests/tools/%.c,$(BUILD)/obj/tests/tools/%.d,$(TOOL_SRCS))

# The test-vector generator (DESIGN.md 3.8): `make vectors` rewrites
# docs/vectors/v1.json; tests/integration/test_vectors.sh regenerates it
# into a temporary file and fails on any difference.
PROGRAMS += $(BUILD)/gen_vectors

$(BUILD)/gen_vectors: $(BUILD)/obj/tests/vectors/gen_vectors.o $(LIBSLUICE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BUILD)/obj/tests/vectors/gen_vectors.d

vectors: $(BUILD)/gen_vectors
	$(BUILD)/gen_vectors > docs/vectors/v1.json.tmp
	mv docs/vectors/v1.json.tmp docs/vectors/v1.json

# A long run of the chain property test (tests/integration/
# test_chain_property.py): 2000 seeds against anvil, and 300 behind the
# fault proxy. SLUICE_CHAIN_SEEDS / SLUICE_CHAIN_FAULT_SEEDS override.
.PHONY: soak-chain
soak-chain: all
	SLUICE_BUILD=$(BUILD) SLUICED=$(CURDIR)/$(BUILD)/sluiced \
	    SLUICE_CHAIN_SEEDS=$${SLUICE_CHAIN_SEEDS:-2000} \
	    python3 tests/integration/test_chain_property.py plain
	SLUICE_BUILD=$(BUILD) SLUICED=$(CURDIR)/$(BUILD)/sluiced \
	    SLUICE_CHAIN_FAULT_SEEDS=$${SLUICE_CHAIN_FAULT_SEEDS:-300} \
	    python3 tests/integration/test_chain_property.py faults

# A long run of the ledger simulation (tests/sim/sim_ledger.c):
# SLUICE_SIM_SEEDS seeds (default 8) of SLUICE_SIM_STEPS steps each
# (default 50000), from SLUICE_SIM_SEED on (default: the time); stops at
# the first failure, which prints the command that replays it.
.PHONY: soak-ledger
soak-ledger: $(BUILD)/tests/sim/sim_ledger
	@seed=$${SLUICE_SIM_SEED:-$$(date +%s)}; n=$${SLUICE_SIM_SEEDS:-8}; \
	steps=$${SLUICE_SIM_STEPS:-50000}; \
	echo "soak-ledger: $$n seeds from $$seed, $$steps steps each"; \
	for i in $$(seq 0 $$((n - 1))); do \
	    $(BUILD)/tests/sim/sim_ledger --seed $$((seed + i)) \
	        --steps $$steps || exit 1; \
	done

# test_secret checks that secret_free wipes a block before freeing it: the
# binary's calls to free() go through the test's own __wrap_free.
$(BUILD)/tests/unit/lib/test_secret: ALL_LDFLAGS += -Wl,--wrap=free
