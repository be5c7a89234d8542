# bench/: each benchmark is an executable bench/<name> built from
# bench/<name>.c; it ends with one RESULT line (DESIGN.md 6).
BENCH_SRCS := $(filter-out bench/bench_util.c,$(wildcard bench/*.c))
BENCH_UTIL := $(wildcard bench/bench_util.c)
BENCHES += $(patsubst %.c,%,$(BENCH_SRCS))

bench/%: bench/%.c $(BENCH_UTIL) $(LIBSLUICE)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)
