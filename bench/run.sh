#!/bin/sh
# Run every benchmark executable bench/<name> in turn, with its defaults,
# print what each prints, then the RESULT lines together (DESIGN.md 6).
#
#   make benches && ./bench/run.sh          (or: make bench)
#   BENCH_ARGS="--mib 64 --runs 1" ./bench/run.sh     a quicker pass
#   ./bench/run.sh ingest                   only the named benchmarks
#
# BENCH_ARGS is passed to every benchmark (all of them take --mib, --runs,
# --level and --dir). Benchmarks never assert on timings: this script fails
# only when a benchmark fails to run or prints no RESULT line.
set -u
cd "$(dirname "$0")/.." || exit 2

interrupted=0
# A benchmark sees Ctrl-C too, stops and removes its temp folder; we note
# it and stop after it.
trap 'interrupted=1' INT TERM HUP

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-run.XXXXXX") || exit 2
log=$work/log
summary=$work/summary
: >"$summary"

if [ $# -gt 0 ]; then
    names="$*"
else
    names=""
    for exe in bench/*; do
        case "$exe" in
        *.c | *.h | *.sh | *.mk | *.md | *.py | *.js) continue ;;
        esac
        if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
            continue
        fi
        names="$names ${exe#bench/}"
    done
fi

if [ -z "$names" ]; then
    echo "bench/run.sh: no benchmark executables in bench/; run 'make benches'" >&2
    rm -rf "$work"
    exit 2
fi

status=0
for name in $names; do
    exe="bench/$name"
    if [ ! -x "$exe" ]; then
        echo "bench/run.sh: $exe is not built (make benches)" >&2
        status=1
        continue
    fi
    echo "== $exe ${BENCH_ARGS:-}"
    {
        # shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
        "$exe" ${BENCH_ARGS:-} 2>&1
        echo $? >"$work/rc"
    } | (
        # tee outlives Ctrl-C so that the benchmark can report and clean up.
        trap '' INT TERM HUP
        tee "$log"
    )
    rc=$(cat "$work/rc" 2>/dev/null || echo 1)
    if [ "$interrupted" -ne 0 ]; then
        echo "bench/run.sh: interrupted" >&2
        rm -rf "$work"
        exit 130
    fi
    if [ "$rc" -ne 0 ]; then
        echo "bench/run.sh: $exe failed (exit $rc)" >&2
        status=1
    elif ! grep '^RESULT ' "$log" | tail -n 1 >>"$summary" ||
        ! tail -n 1 "$log" | grep -q '^RESULT '; then
        echo "bench/run.sh: $exe did not end with a RESULT line" >&2
        status=1
    fi
    echo
done

echo "== summary"
cat "$summary"
rm -rf "$work"
exit "$status"
