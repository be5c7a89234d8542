#!/usr/bin/env bash
# Install what sluice needs to build, test and run on Debian 12, and only
# what is missing: `make test` and `make run` call this first, so a fresh
# machine gets from nothing to green with one command. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the C libraries (DESIGN.md 5), the compilers and tools the
# build and the tests use, Node.js for the pinned npm tools, and the load
# generator and reference server of the HTTP benchmarks (bench/README.md).
debs=(build-essential pkg-config clang libclang-rt-14-dev
      libevent-dev libssl-dev libsqlite3-dev sqlite3 libjansson-dev
      libsecp256k1-dev zlib1g-dev nettle-dev libcmocka-dev
      nodejs npm python3 curl ca-certificates openssl
      wrk nginx-light chromium fonts-dejavu-core)

missing=()
for p in "${debs[@]}"; do
    # nodejs/npm may come from elsewhere (the machine's own Node.js); a
    # working binary is as good as the package.
    case "$p" in
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
        python3) command -v python3 >/dev/null 2>&1 && continue ;;
    esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The browser tests drive Debian's chromium (DESIGN.md 5); its package
# brings no fonts with --no-install-recommends, hence fonts-dejavu-core.

# npm packages, pinned by package-lock.json, into ./node_modules. The stamp
# makes a second run free; a changed lock file installs again.
stamp=node_modules/.sluice-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    echo "bootstrap: installing npm packages from package-lock.json" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    cp package-lock.json "$stamp"
fi

# The page's libraries, copied from the pinned npm packages into web/ (the
# gateway serves the files directly in web_dir; these copies are
# gitignored): ethers for the wallet, uPlot for the charts. Copied on every
# run, and only when they differ, so a changed lock file brings new ones.
vendor=(node_modules/ethers/dist/ethers.min.js:web/ethers.min.js
        node_modules/uplot/dist/uPlot.esm.js:web/uPlot.esm.js
        node_modules/uplot/dist/uPlot.min.css:web/uPlot.min.css)
for pair in "${vendor[@]}"; do
    src=${pair%%:*} dst=${pair#*:}
    [ -f "$src" ] || { echo "bootstrap: $src is missing" >&2; exit 1; }
    cmp -s "$src" "$dst" 2>/dev/null || cp "$src" "$dst"
done
