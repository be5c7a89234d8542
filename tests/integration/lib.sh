# Shared helpers for the live-binary tests in tests/integration/.
#
# Source it from a test script run from the repository root (tests/run.sh
# does so) with SLUICED set to the absolute path of the sluiced binary.
# Every test gets a fresh temporary directory in $T, removed on exit
# together with any background process started through `spawn`.
#
#   sl NAME ARGS...      run "$SLUICED" ARGS..., stdout to $T/NAME.out,
#                        stderr to $T/NAME.err, exit status in $RC; fails
#                        the test on a sanitizer report
#   sl_ok NAME ARGS...   the same, and fail unless it exits 0
#   sl_kill_after S NAME ARGS...  the same, killed with SIGKILL after S
#                        seconds if still running ($RC 137)
#   spawn NAME ARGS...   start sluiced in the background; its pid in $PID
#   reap PID NAME        wait for a spawned process; status in $RC
#   fail MESSAGE         print MESSAGE (and the test's name), exit 1
#   sql DIR QUERY        run QUERY on DIR/sluice.db, print the rows
#   fsck_clean DIR       run fsck on DIR; fail unless it exits 0 with no
#                        damaged, missing or orphan line
#   soft_fail MESSAGE    record a failure and go on; `finish` exits 1 at
#                        the end if any was recorded
set -u
set -o pipefail

: "${SLUICED:?set SLUICED to the absolute path of the sluiced binary}"
[ -x "$SLUICED" ] || { echo "FAIL: SLUICED=$SLUICED is not executable" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 is needed" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: the sqlite3 CLI is needed" >&2; exit 1; }

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-$TEST_NAME.XXXXXX")
LIB_PIDS=()
# Under a sanitizer build every report, leaks included, fails the test
# (a process killed with SIGKILL on purpose reports nothing). ASan's
# quarantine of freed memory is kept small (256 MB by default): tests that
# bound the server's RSS would measure the quarantine, and 8 MB still
# catches a use after free of anything freed lately.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:quarantine_size_mb=8}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

lib_cleanup() {
    local p
    for p in "${LIB_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ -n "${KEEP_TMP:-}" ]; then
        echo "kept $T" >&2
    else
        rm -rf "$T"
    fi
}
trap lib_cleanup EXIT

fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    exit 1
}

# Record a failure and go on, so that one run shows every problem; call
# `finish` at the end to exit 1 if any was recorded.
SOFT_FAILS=0
soft_fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    SOFT_FAILS=$((SOFT_FAILS + 1))
}

finish() {
    [ "$SOFT_FAILS" -eq 0 ] || fail "$SOFT_FAILS check(s) failed (above)"
    note "ok"
}

note() {
    echo "[$TEST_NAME] $*"
}

# Fail when file $1 holds a sanitizer report; print it first so that the
# log (which tests/run.sh also greps) shows it.
check_sanitizer() {
    if grep -q -E '(==[0-9]+==ERROR|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer)' "$1" 2>/dev/null; then
        cat "$1" >&2
        fail "sanitizer report in $1 (${2:-sluiced})"
    fi
}

sl() {
    local name=$1
    shift
    RC=0
    "$SLUICED" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    check_sanitizer "$T/$name.err" "sluiced $*"
}

sl_ok() {
    local name=$1
    sl "$@"
    if [ "$RC" -ne 0 ]; then
        shift
        echo "--- stderr of sluiced $* ---" >&2
        tail -n 20 "$T/$name.err" >&2
        fail "sluiced $* exited $RC"
    fi
}

# sl_kill_after SECONDS NAME ARGS...: run sluiced as sl does, but kill -9
# it after SECONDS (> 0) if it still runs; $RC is 137 when it was killed.
# --preserve-status: when the timer fires just as sluiced is exiting by
# itself (already a zombie, or LeakSanitizer's exit scan under ASan), the
# kill finds nothing to kill and plain timeout would report 124 and lose
# the real exit status; with it we get that status (0 for a finished run).
sl_kill_after() {
    local delay=$1 name=$2
    shift 2
    RC=0
    timeout --foreground --preserve-status -s KILL "$delay" "$SLUICED" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    check_sanitizer "$T/$name.err" "sluiced $* (killed after ${delay}s)"
}

spawn() {
    local name=$1
    shift
    "$SLUICED" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    PID=$!
    LIB_PIDS+=("$PID")
}

reap() {
    local pid=$1 name=$2 p keep=()
    RC=0
    # (braces: bash's own "Killed" notice goes to /dev/null as well)
    { wait "$pid"; } 2>/dev/null || RC=$?
    for p in "${LIB_PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    LIB_PIDS=("${keep[@]+"${keep[@]}"}")
    check_sanitizer "$T/$name.err" "sluiced ($name)"
}

sql() {
    sqlite3 -batch "$1/sluice.db" "$2"
}

# The id printed last by an ingest whose output went to $T/NAME.out.
ingest_id() {
    local id
    id=$(tail -n 1 "$T/$1.out")
    [[ $id =~ ^0x[0-9a-f]{64}$ ]] || fail "ingest ($1) printed '$id', not an id"
    printf '%s\n' "$id"
}

# id (0x + hex) -> the hex SQLite prints for the blob, uppercase.
id_sql() {
    local h=${1#0x}
    printf "X'%s'" "$h"
}

fsck_clean() {
    local dir=$1 name=${2:-fsck}
    sl "$name" fsck --data-dir "$dir"
    if [ "$RC" -ne 0 ] || grep -q -E '^(damaged|missing|orphan)' "$T/$name.out"; then
        cat "$T/$name.out" "$T/$name.err" >&2
        fail "fsck of $dir is not clean (exit $RC)"
    fi
}

# Every regular file under DIR/objects, as object ids, sorted; fails on a
# file that is not named like an object in its right folder.
objects_on_disk() {
    local dir=$1 f rel
    (cd "$dir/objects" && find . -type f | sed 's|^\./||' | sort) |
    while read -r rel; do
        if [[ $rel =~ ^([0-9a-f]{2})/([0-9a-f]{64})$ ]] &&
           [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]:0:2}" ]; then
            printf '%s\n' "${BASH_REMATCH[2]}"
        else
            printf 'BAD:%s\n' "$rel"
        fi
    done
}

# Object ids named by chunks of published data-sets, sorted, unique.
objects_published() {
    sql "$1" "SELECT DISTINCT c.object_id FROM chunks c JOIN datasets d
              ON d.id = c.dataset_id WHERE d.state = 'published'
              ORDER BY 1"
}

# Check that a file of stderr output ($1) is exactly one line matching the
# extended regexp $2; a soft failure otherwise (returns 1).
one_line_matching() {
    local file=$1 re=$2 what=$3 n
    n=$(wc -l <"$file")
    if [ "$n" -ne 1 ]; then
        echo "--- stderr ---" >&2
        cat "$file" >&2
        soft_fail "$what: expected one line on stderr, got $n"
        return 1
    fi
    grep -q -E -- "$re" "$file" || {
        echo "--- stderr ---" >&2
        cat "$file" >&2
        soft_fail "$what: stderr does not match /$re/"
        return 1
    }
}
