#!/bin/bash
# Benchmarks: our tools against the reference qemu-img 7.2 on the same data,
# in interleaved runs, reported as medians and ratios (ours / reference),
# plus the per-cipher throughput table of tests/bench/bench-crypto.
#
# Usage: scripts/bench.sh BUILD_DIR [SIZE_MIB] [RUNS]
set -euo pipefail

BUILD=${1:-build}
SIZE_MIB=${2:-512}
RUNS=${3:-3}
OURS=$(cd "$BUILD" && pwd)/qemu-img
REF=${REF_QEMU_IMG:-/usr/bin/qemu-img}
DIR=$(mktemp -d "${TMPDIR:-/dev/shm}/qcrypt-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
SEC="--object secret,id=sec0,data=bench-password"

now() { date +%s.%N; }

# time_cmd CMD...: print wall seconds of one run
time_cmd() {
    local t0 t1
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench NAME SETUP_FN RUN_FN: RUN_FN TOOL is timed for both tools in turns
bench() {
    local name=$1 run=$2 i t_ours=() t_ref=()
    for ((i = 0; i < RUNS; i++)); do
        t_ref+=("$(time_cmd "$run" "$REF")")
        t_ours+=("$(time_cmd "$run" "$OURS")")
    done
    local mo mr
    mo=$(printf '%s\n' "${t_ours[@]}" | median)
    mr=$(printf '%s\n' "${t_ref[@]}" | median)
    printf '%-34s ours %7.3f s (%7.1f MB/s)  ref %7.3f s (%7.1f MB/s)  ratio %.3f\n' \
        "$name" "$mo" "$(echo "$SIZE_MIB * 1.048576 / $mo" | bc -l)" \
        "$mr" "$(echo "$SIZE_MIB * 1.048576 / $mr" | bc -l)" \
        "$(echo "$mo / $mr" | bc -l)"
}

echo "== setup: ${SIZE_MIB} MiB of random data in $DIR"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$DIR/src.raw"
"$REF" create -q -f luks $SEC -o key-secret=sec0,iter-time=10 \
    "$DIR/src.luks" "${SIZE_MIB}M"
"$REF" convert -n --target-image-opts $SEC -f raw "$DIR/src.raw" \
    "driver=luks,file.filename=$DIR/src.luks,key-secret=sec0"

run_raw_to_luks() {
    rm -f "$DIR/out.luks"
    "$1" create -q -f luks $SEC -o key-secret=sec0,iter-time=10 \
        "$DIR/out.luks" "${SIZE_MIB}M"
    "$1" convert -n --target-image-opts $SEC -f raw "$DIR/src.raw" \
        "driver=luks,file.filename=$DIR/out.luks,key-secret=sec0"
}
run_luks_to_raw() {
    rm -f "$DIR/out.raw"
    "$1" convert $SEC --image-opts \
        "driver=luks,file.filename=$DIR/src.luks,key-secret=sec0" \
        -O raw "$DIR/out.raw"
}
run_compare() {
    "$1" compare $SEC --image-opts \
        "driver=luks,file.filename=$DIR/src.luks,key-secret=sec0" \
        "driver=raw,file.filename=$DIR/src.raw"
}
run_raw_to_raw() {
    rm -f "$DIR/out2.raw"
    "$1" convert -f raw -O raw "$DIR/src.raw" "$DIR/out2.raw"
}

echo "== wall time, median of $RUNS interleaved runs (ratio = ours / reference)"
bench "convert raw -> luks (pre-created)" run_raw_to_luks
bench "convert luks -> raw" run_luks_to_raw
bench "compare luks vs raw" run_compare
bench "convert raw -> raw" run_raw_to_raw

if [ -x "$BUILD/tests/bench/bench-crypto" ]; then
    echo "== cipher throughput (one thread)"
    "$BUILD/tests/bench/bench-crypto"
fi
