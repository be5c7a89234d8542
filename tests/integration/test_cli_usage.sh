#!/usr/bin/env bash
# The sluice CLI's command line, without a gateway: for every command that
# `sluice --help` lists, `sluice CMD --help`, `sluice CMD -h` and `sluice
# help CMD` print the same usage on stdout and exit 0; an unknown option,
# each of its options given without its value, its positional arguments
# missing (or one too many) each fail with exit 2 and one clear line on
# stderr, and touch nothing (no key is made or read, the gateway is never
# asked: it is a closed port). Then the same for the words before a
# command.
source "$(dirname "$0")/lib.sh"

B=${SLUICE_BUILD:?set SLUICE_BUILD to the build folder}
case $B in /*) ;; *) B=$PWD/$B ;; esac
SLUICE=$B/sluice
[ -x "$SLUICE" ] || fail "$SLUICE is not executable"
export SLUICE_GATEWAY=http://127.0.0.1:1
export SLUICE_KEY=$T/keys/never.key
export SLUICE_RPC_URL=http://127.0.0.1:1

# cli NAME ARGS...: run sluice ARGS, stdout to $T/NAME.out, stderr to
# $T/NAME.err, exit status in $RC.
cli() {
    local name=$1
    shift
    RC=0
    "$SLUICE" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    check_sanitizer "$T/$name.err" "sluice $*"
}

# bad NAME REGEX ARGS...: sluice ARGS exits 2 with nothing on stdout and
# one line on stderr matching REGEX.
bad() {
    local name=$1 re=$2
    shift 2
    cli "$name" "$@"
    CHECKS=$((CHECKS + 1))
    [ "$RC" -eq 2 ] || soft_fail "$name: sluice $* exited $RC, not 2: $(cat "$T/$name.err")"
    [ ! -s "$T/$name.out" ] || soft_fail "$name: sluice $* printed on stdout: $(head -n 2 "$T/$name.out")"
    one_line_matching "$T/$name.err" "$re" "$name (sluice $*)" || true
}

CHECKS=0
VALUED=0

# A regexp that matches text literally.
lit() { printf '%s' "$1" | sed -e 's/[][\.*^$?+(){}|/]/\\&/g'; }

cli help --help
[ "$RC" -eq 0 ] || fail "sluice --help exited $RC"
[ ! -s "$T/help.err" ] || soft_fail "sluice --help wrote on stderr"
head -n 1 "$T/help.out" | grep -q '^usage: sluice ' || soft_fail "sluice --help does not start with its usage"
# The commands, as the help lists them: "  sluice WORD [WORD] ...".
sed -n 's/^  sluice \(key [a-z]*\|dataset [a-z]*\|dev [a-z]*\|[a-z]*\)\( .*\)\{0,1\}$/\1/p' "$T/help.out" >"$T/commands"
n=$(wc -l <"$T/commands")
[ "$n" -ge 16 ] || fail "sluice --help lists $n commands: $(cat "$T/commands")"
for want in "key new" "key show" "key address" "dataset create" upload publish ls show price delete buy withdraw quote query receipts "dev fund"; do
    grep -qx "$want" "$T/commands" || soft_fail "sluice --help does not list $want"
done
for opt in --gateway --key --help; do
    grep -q -- "^  .*$opt" "$T/help.out" || soft_fail "sluice --help does not list the global option $opt"
done

i=0
while read -r cmd; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # the command's words
    set -- $cmd
    tag="c$i"

    # --help, -h and help CMD: the same usage, on stdout, exit 0.
    cli "$tag-help" "$@" --help
    [ "$RC" -eq 0 ] || soft_fail "sluice $cmd --help exited $RC: $(cat "$T/$tag-help.err")"
    [ ! -s "$T/$tag-help.err" ] || soft_fail "sluice $cmd --help wrote on stderr"
    head -n 1 "$T/$tag-help.out" | grep -q "^usage: sluice $cmd\\b" ||
        soft_fail "sluice $cmd --help starts with: $(head -n 1 "$T/$tag-help.out")"
    grep -q -- "--gateway URL" "$T/$tag-help.out" || soft_fail "sluice $cmd --help lacks the global options"
    cli "$tag-h" "$@" -h
    cmp -s "$T/$tag-help.out" "$T/$tag-h.out" || soft_fail "sluice $cmd -h differs from --help"
    cli "$tag-helpcmd" help "$@"
    cmp -s "$T/$tag-help.out" "$T/$tag-helpcmd.out" || soft_fail "sluice help $cmd differs from --help"
    # --help wins over what is missing or wrong after it.
    cli "$tag-help2" "$@" --help --no-such-option
    [ "$RC" -eq 0 ] || soft_fail "sluice $cmd --help --no-such-option exited $RC"

    # An unknown option, long and short.
    bad "$tag-unknown" "^sluice $(lit "$cmd"): unknown option --no-such-option; see sluice $(lit "$cmd") --help$" \
        "$@" --no-such-option
    bad "$tag-unknown-short" "^sluice $(lit "$cmd"): unknown option -Z; see sluice $(lit "$cmd") --help$" \
        "$@" -Z

    # Each option that takes a value, given last without one. The options
    # are read off the command's own --help.
    sed -n '/^options:$/,/^$/p' "$T/$tag-help.out" |
        sed -n 's/^  \(--[a-z-]*\) [^ ].*/\1/p' >"$T/$tag-valued"
    while read -r opt; do
        VALUED=$((VALUED + 1))
        bad "$tag-novalue$opt" "^sluice $(lit "$cmd"): option $opt needs a value$" "$@" "$opt"
    done <"$T/$tag-valued"

    # The positional arguments: none at all, then one too many.
    args=$(head -n 1 "$T/$tag-help.out" | sed "s/^usage: sluice $cmd//" | grep -o '^\( [A-Z][A-Z]*\)*' || true)
    # shellcheck disable=SC2086
    set -- $cmd
    if [ -n "$args" ]; then
        # shellcheck disable=SC2086
        names=$(echo $args | sed 's/ \([A-Z]*\)$/ and \1/')
        bad "$tag-noargs" "^sluice $(lit "$cmd"): $(lit "$names") (is|are) required$" "$@"
        extra=()
        for a in $args; do
            if [ "$a" = FILE ]; then extra+=("$T/none"); else extra+=("0x$(printf 'ab%.0s' {1..32})"); fi
        done
        bad "$tag-extra" "^sluice $(lit "$cmd"): unexpected argument 'surplus'$" "$@" "${extra[@]}" surplus
        # A data-set id that is not one, named as such.
        first=${args# }
        first=${first%% *}
        if [ "$first" = ID ] || [ "$first" = DATASET ]; then
            rest=("${extra[@]:1}")
            bad "$tag-badid" "^sluice $(lit "$cmd"): ID: '0x12' is not a data-set id \\(0x and 64 hex digits\\)$" \
                "$@" 0x12 "${rest[@]}"
        fi
    elif head -n 1 "$T/$tag-help.out" | sed "s/^usage: sluice $cmd//" | grep -q '^ \[[A-Z][A-Z]*\]'; then
        # An optional argument (receipts [DATASET]): one too many after it.
        bad "$tag-extra" "^sluice $(lit "$cmd"): unexpected argument 'surplus'$" "$@" "0x$(printf 'ab%.0s' {1..32})" surplus
    else
        bad "$tag-extra" "^sluice $(lit "$cmd"): unexpected argument 'surplus'$" "$@" surplus
    fi
done <"$T/commands"

# Before the command.
cli none
[ "$RC" -eq 2 ] || soft_fail "sluice without a command exited $RC, not 2"
head -n 1 "$T/none.err" | grep -q '^usage: sluice ' || soft_fail "sluice without a command prints no usage on stderr"
cli h -h
[ "$RC" -eq 0 ] && cmp -s "$T/help.out" "$T/h.out" || soft_fail "sluice -h is not sluice --help"
cli helpword help
[ "$RC" -eq 0 ] && cmp -s "$T/help.out" "$T/helpword.out" || soft_fail "sluice help is not sluice --help"
bad pre-unknown "^sluice: unknown option --no-such-option; see sluice --help$" --no-such-option ls
bad pre-unknown-short "^sluice: unknown option -Z; see sluice --help$" -Z ls
bad pre-gateway "^sluice: option --gateway needs a value$" --gateway
bad pre-key "^sluice: option --key needs a value$" --key
bad pre-key-empty "^sluice: --key needs a file name$" --key "" ls
bad in-key-empty "^sluice ls: --key needs a file name$" ls --key=
bad unknown-cmd "^sluice: unknown command 'frob'; see sluice --help$" frob
bad group "^sluice: 'key' needs a subcommand; see sluice --help$" key
bad group-bad "^sluice: 'dataset' needs a subcommand \\(not 'frob'\\); see sluice --help$" dataset frob

# Values checked by the table: bounds, defaults' kin, lists, groups.
ID=0x$(printf 'ab%.0s' {1..32})
bad limit-0 "^sluice ls: --limit must be a whole number from 1 to 100$" ls --limit 0
bad limit-abc "^sluice ls: --limit takes a whole number$" ls --limit abc
bad sort "^sluice ls: --sort must be newest, name, price or size$" ls --sort bad
bad retries "^sluice upload: --retries must be a whole number from 0 to 20$" upload "$ID" "$T/none" --retries 21
bad part-size "^sluice upload: --part-size must be between 1024 and 1073741824$" upload "$ID" "$T/none" --part-size 10
bad no-name "^sluice dataset create: --name is required$" dataset create --format csv
bad empty-name "^sluice dataset create: --name is required$" dataset create --name "" --format csv
bad no-format "^sluice dataset create: --format is required \\(csv, jsonl or blob\\)$" dataset create --name x
bad tags "^sluice dataset create: --tag: at most 16 tags$" dataset create --name x --format csv \
    $(for k in $(seq 1 17); do printf -- '--tag t%d ' "$k"; done)
bad two-prices "^sluice dataset create: give one price option: --price-pass and --price-json were both given$" \
    dataset create --name x --format csv --price-pass price=1,duration=1d --price-json '{}'
bad no-plan "^sluice price: give the plan: --price-json, --price-metered or --price-pass$" price "$ID"
bad no-worker "^sluice buy: --worker is required: the address that will send the queries$" buy "$ID" --amount 1
bad no-amount "^sluice buy: --amount is required \\(in ETH, e.g. 0.05\\)$" \
    buy "$ID" --worker 0x70997970c51812dc3a010c7d01b50e0d17dc79c8
bad abbrev "^sluice ls: --limit must be a whole number from 1 to 100$" ls --lim 0

[ ! -e "$T/keys" ] || soft_fail "a key folder was made: $(ls -R "$T/keys")"
# Every option with a value of every command was tried (30 of them today).
[ "$VALUED" -ge 30 ] || soft_fail "only $VALUED options with a value were read off the commands' --help"
note "$CHECKS bad invocations checked, $VALUED of them options without their value"
finish
