#!/usr/bin/env bash
# The layer rules of DESIGN.md 2, checked rather than hoped for: each folder
# may include only the project folders on its allow list. Data flows one
# way: gateway -> (pricing, storage, contracts-abi) -> lib.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allow=(
    [lib]="lib"
    [storage]="lib storage"
    [pricing]="lib storage pricing"
    [contracts-abi]="lib contracts-abi"
    [gateway]="lib storage pricing contracts-abi gateway"
    [client]="lib storage pricing contracts-abi client"
)

bad=0
for dir in "${!allow[@]}"; do
    [ -d "$dir" ] || continue
    while IFS= read -r hit; do
        file=${hit%%:*}
        inc=$(printf '%s' "$hit" | sed -E 's/.*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/')
        top=${inc%%/*}
        [ "$top" = "$inc" ] && continue   # a file beside it, no folder
        ok=0
        for a in ${allow[$dir]}; do [ "$top" = "$a" ] && ok=1; done
        if [ $ok -eq 0 ]; then
            echo "check-includes: $file includes \"$inc\": $dir/ may include only: ${allow[$dir]}" >&2
            bad=1
        fi
    done < <(grep -rHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' --include='*.c' --include='*.h' "$dir" || true)
done
[ $bad -eq 0 ] && echo "check-includes: layers ok"
exit $bad
