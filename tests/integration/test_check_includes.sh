#!/usr/bin/env bash
# make check-includes catches each kind of breach it is for: a copy of the
# source folders gets one breach at a time, and the checker must fail on
# it and name it; the clean copy must pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-check-includes.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fresh() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/scripts"
    cp scripts/check-includes.sh "$tmp/t/scripts/"
    cp -r lib storage pricing contracts-abi gateway client "$tmp/t/"
}
expect_fail() { # what pattern
    if out=$(bash "$tmp/t/scripts/check-includes.sh" 2>&1); then
        echo "FAIL: check-includes passed with $1"; exit 1
    fi
    if ! printf '%s' "$out" | grep -q -- "$2"; then
        echo "FAIL: check-includes did not name $1: $out"; exit 1
    fi
    echo "ok: $1 -> $(printf '%s' "$out" | head -n 1)"
}
fresh
bash "$tmp/t/scripts/check-includes.sh"
fresh; sed -i '1i #include "gateway/gateway.h"' "$tmp/t/storage/parts.c"
expect_fail "storage including gateway" 'storage/ may include only'
fresh; sed -i '1i #include <sqlite3.h>' "$tmp/t/gateway/h_system.c"
expect_fail "SQLite in the gateway" 'gateway/h_system.c includes SQLite'
fresh; sed -i '1i #include "storage/db.h"' "$tmp/t/pricing/plan.c"
expect_fail "db.h in pricing/plan.c" 'pricing/plan.c includes SQLite'
fresh; sed -i '1i #include "storage/schema.h"' "$tmp/t/storage/db.c"
expect_fail "a cycle db <-> schema" 'include cycle in storage/'
fresh; sed -i '1i #include "gateway/server_x.h"' "$tmp/t/gateway/routes.h"
touch "$tmp/t/gateway/server_x.h"
echo '#include "gateway/routes.h"' > "$tmp/t/gateway/server_x.h"
expect_fail "a cycle routes <-> server" 'include cycle in gateway/'
fresh; printf 'static const char *q = "SELECT id FROM datasets";\n' >> "$tmp/t/gateway/h_system.c"
expect_fail "SQL in the gateway" 'holds SQL'
echo "ok (check-includes)"
