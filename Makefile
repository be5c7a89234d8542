# sluice: one non-recursive Makefile; each folder adds its part in module.mk.
#
#   make            build everything (library, programs, tests, benchmarks)
#   make test       install what is missing, then build and run the suite
#   make asan       the same suite under AddressSanitizer (build/asan)
#   make ubsan      the same suite under UndefinedBehaviorSanitizer (build/ubsan)
#   make sanitize   the same suite once under both at once (build/sanitize; CI)
#   make fuzz       build the libFuzzer targets (build/fuzz)
#   make bench      build and run the benchmarks in bench/
#   make run        the demo
#   make check-includes   the layer rules of DESIGN.md 2

BUILD ?= build
SANFLAGS ?=
OPT ?= -O2

PKGS := libevent libevent_pthreads libevent_openssl openssl sqlite3 jansson \
        libsecp256k1 zlib nettle
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wvla -Wpointer-arith \
        -Wundef -Wwrite-strings -Wimplicit-fallthrough -Wswitch-enum
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -I. $(PKG_CFLAGS) $(CFLAGS) \
              $(SANFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread -lm
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

LIBSLUICE := $(BUILD)/libsluice.a
LIB_SRCS :=
PROGRAMS :=
UNIT_TESTS :=
BENCHES :=

include lib/module.mk
include storage/module.mk
include pricing/module.mk
include contracts-abi/module.mk
include gateway/module.mk
include client/module.mk
include tests/module.mk
include bench/module.mk

LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))

.PHONY: all test check asan ubsan sanitize fuzz bench benches run clean bootstrap \
        check-includes vectors
.DEFAULT_GOAL := all
# Keep object files that make would see as intermediates.
.SECONDARY:

all: $(LIBSLUICE) $(PROGRAMS) $(UNIT_TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBSLUICE): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

bootstrap:
	@./scripts/bootstrap.sh

# `test` installs what is missing first, then re-reads this Makefile (the
# pkg-config flags above depend on what bootstrap installed).
test: bootstrap
	@$(MAKE) --no-print-directory check

check: all fuzz-targets check-includes
	@./tests/run.sh $(BUILD)

asan: bootstrap
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	    SANFLAGS="-fsanitize=address -fno-omit-frame-pointer" \
	    SLUICE_SKIP_FUZZ=1 SLUICE_SANITIZER=address check

ubsan: bootstrap
	@$(MAKE) --no-print-directory BUILD=build/ubsan OPT=-O1 \
	    SANFLAGS="-fsanitize=undefined -fno-sanitize-recover=all" \
	    SLUICE_SKIP_FUZZ=1 SLUICE_SANITIZER=undefined check

# Both sanitizers in one build and one run of the suite: what CI runs,
# in half the time of asan and ubsan one after the other.
sanitize: bootstrap
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT=-O1 \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	    SLUICE_SKIP_FUZZ=1 SLUICE_SANITIZER=address check

bench: bootstrap
	@$(MAKE) --no-print-directory all benches
	@./bench/run.sh

benches: $(BENCHES)

# The demo builds only the two programs it runs, quietly (compiler lines
# would bury its story; a warning or an error still shows).
run: bootstrap
	@echo "== building sluiced and sluice"
	@$(MAKE) --no-print-directory -s $(BUILD)/sluiced $(BUILD)/sluice
	@./scripts/demo.sh $(BUILD)

check-includes:
	@./scripts/check-includes.sh

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d)
