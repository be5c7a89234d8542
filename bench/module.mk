# bench/: each benchmark is an executable bench/<name> built from
# bench/<name>.c; it ends with one RESULT line (DESIGN.md 6). bench_util.c
# (flags, timing, temp folders, signals), bench_http.c (child processes,
# sluiced, wrk, signed requests), bench_load.c (the load generator of
# signed requests) and bench_chain.c (anvil, the market contract,
# purchases) are linked into every one.
BENCH_SHARED := $(wildcard bench/bench_util.c bench/bench_http.c \
                           bench/bench_load.c bench/bench_chain.c)
BENCH_SRCS := $(filter-out $(BENCH_SHARED),$(wildcard bench/*.c))
BENCHES += $(patsubst %.c,%,$(BENCH_SRCS))

bench/%: bench/%.c $(BENCH_SHARED) $(LIBSLUICE)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# Benchmarks written in Python (they drive anvil and sluiced over HTTP):
# bench/<name> is bench/<name>.py made executable.
BENCH_SCRIPTS := bench/catchup bench/latency
BENCHES += $(BENCH_SCRIPTS)

$(BENCH_SCRIPTS): bench/%: bench/%.py
	install -m 0755 $< $@
