#!/usr/bin/env bash
# Run the libFuzzer targets of a -Dfuzzing=true build for a while each.
#
# Usage: tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS [TARGET...]
#   BUILD_DIR  a build configured with CC=clang -Dfuzzing=true (`make fuzz`)
#   SECONDS    fuzzing time per target (make fuzz: 300, make fuzz-smoke: 12)
#   TARGET     fuzz-json, fuzz-keyval, fuzz-luks-header, fuzz-open (all)
#
# Seeds come from tests/fuzz/make-seeds.sh (cached in BUILD_DIR/fuzz/seeds),
# the corpus each target grows is kept in BUILD_DIR/fuzz/corpus/TARGET, and
# the inputs in tests/fuzz/regress/TARGET (past findings) are replayed
# first.  A finding is saved as BUILD_DIR/fuzz/artifacts/TARGET-crash-...
# and reproduced with `BUILD_DIR/tests/fuzz/TARGET FILE`.
# Environment: FUZZ_JOBS targets at once (default: CPUs).
# Exit status: 0 if no target found anything, 1 otherwise.
set -u

build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
targets=${*:-fuzz-json fuzz-keyval fuzz-luks-header fuzz-open}
jobs=${FUZZ_JOBS:-$(nproc 2> /dev/null || echo 1)}
state=$build/fuzz

# Regenerate the seeds when the script that makes them changed.
if [ ! -f "$state/seeds.stamp" ] ||
   [ "$here/make-seeds.sh" -nt "$state/seeds.stamp" ]; then
    "$here/make-seeds.sh" "$state/seeds" || exit 1
    touch "$state/seeds.stamp"
fi
mkdir -p "$state/artifacts" "$state/logs"

# dict_of TARGET: the dictionary file of a target.
dict_of()
{
    case "$1" in
        fuzz-luks-header | fuzz-open) echo "$here/luks.dict" ;;
        fuzz-keyval) echo "$here/keyval.dict" ;;
        fuzz-json) echo "$here/json.dict" ;;
    esac
}

# run_one TARGET: fuzz it for $secs seconds; the log holds the verdict.
run_one()
{
    local t=$1 bin=$build/tests/fuzz/$1 dirs
    dirs=("$state/corpus/$t" "$state/seeds/$t")
    mkdir -p "$state/corpus/$t"
    if [ -d "$here/regress/$t" ]; then
        dirs+=("$here/regress/$t")
    fi
    # Leaks and UBSan findings are findings too; a fixed -seed would make
    # smoke runs repeat the same inputs every time, so none is given.
    # Inputs are under 1 MiB: one allocation over 512 MiB means a size
    # read from the input was not bounded (an "out-of-memory" finding).
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
        "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
        -malloc_limit_mb=512 -print_final_stats=1 -dict="$(dict_of "$t")" \
        -artifact_prefix="$state/artifacts/$t-" "${dirs[@]}" \
        > "$state/logs/$t.log" 2>&1
    echo $? > "$state/logs/$t.rc"
}

for t in $targets; do
    if [ ! -x "$build/tests/fuzz/$t" ]; then
        echo "run-fuzz: $build/tests/fuzz/$t missing (configure the build" \
             "with CC=clang -Dfuzzing=true)" >&2
        exit 1
    fi
done

echo "run-fuzz: $secs s per target, $jobs at a time"
running=0
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

failed=0
for t in $targets; do
    log=$state/logs/$t.log
    rc=$(cat "$state/logs/$t.rc")
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    corpus=$(ls "$state/corpus/$t" | wc -l)
    if [ "$rc" = 0 ]; then
        echo "PASS $t: ${runs:-?} executions, corpus $corpus inputs"
        continue
    fi
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
               tail -n 1)
    echo "FAIL $t (exit $rc): ${runs:-?} executions"
    grep -E 'ERROR: |SUMMARY: |runtime error|Assertion|assertion' "$log" |
        head -n 5 | sed 's/^/    /'
    echo "    log: $log"
    if [ -n "$artifact" ]; then
        echo "    reproduce: $build/tests/fuzz/$t $artifact"
    fi
done
exit $failed
