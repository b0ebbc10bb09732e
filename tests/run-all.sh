#!/usr/bin/env bash
# run-all.sh: the whole test suite, as `make check` runs it.
#
# Usage: tests/run-all.sh BUILD ASAN_BUILD
#
# 1. unit tests of BUILD        (meson test --suite unit)
# 2. unit tests of ASAN_BUILD   (same, with leak detection)
# 3. iotests against BUILD's qemu-img/qemu-io
# 4. iotests against ASAN_BUILD's tools (ASAN_OPTIONS=detect_leaks=1)
# 5. crash harness (tests/crash) against BUILD's qemu-io, then ASAN_BUILD's
#
# Every step runs even if an earlier one fails.  Ends with one plain line
# "N passed, N failed" summing all steps; exits non-zero on any failure.
# A step that cannot run at all (missing build directory, meson error)
# counts as one failure.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD ASAN_BUILD" >&2
    exit 2
fi

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=$(cd "$1" 2> /dev/null && pwd -P || echo "$1")
ASAN_BUILD=$(cd "$2" 2> /dev/null && pwd -P || echo "$2")

# Sanitizer settings for the ASAN build (the reference tools ignore them).
ASAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

total_pass=0
total_fail=0
total_skip=0
steps=()

log=$(mktemp "${TMPDIR:-/tmp}/run-all.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

# count_meson LOG: add the counts of a `meson test` summary to the totals;
# returns 1 if no summary was found.
count_meson()
{
    local ok fail skip
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
    [ -n "$ok" ] || return 1
    fail=0
    for field in 'Fail' 'Unexpected Pass' 'Timeout'; do
        n=$(sed -n "s/^$field: *\\([0-9]*\\).*/\\1/p" "$1" | tail -n 1)
        fail=$((fail + ${n:-0}))
    done
    skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
    step_pass=$ok
    step_fail=$fail
    step_skip=${skip:-0}
}

# count_check LOG: the same for the closing line of tests/iotests/check.
count_check()
{
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n 1)
    [ -n "$line" ] || return 1
    step_pass=$(echo "$line" | cut -d' ' -f1)
    step_fail=$(echo "$line" | cut -d' ' -f3)
    step_skip=$(echo "$line" | cut -d' ' -f5)
}

# record NAME RC: add the step's counts (from step_*) to the totals.
record()
{
    local name=$1 rc=$2
    if [ "$rc" -ne 0 ] && [ "$step_fail" -eq 0 ]; then
        # The command failed without reporting a failed test.
        step_fail=1
    fi
    total_pass=$((total_pass + step_pass))
    total_fail=$((total_fail + step_fail))
    total_skip=$((total_skip + step_skip))
    steps+=("$(printf '%-28s %s passed, %s failed, %s skipped' "$name:" \
               "$step_pass" "$step_fail" "$step_skip")")
}

unit_tests()
{
    local name=$1 dir=$2 rc
    shift 2
    echo "=== $name: meson test -C $dir --suite unit"
    step_pass=0 step_fail=0 step_skip=0
    if [ ! -f "$dir/build.ninja" ]; then
        echo "run-all: $dir is not a configured build directory"
        record "$name" 1
        return
    fi
    env "$@" meson test -C "$dir" --suite unit --print-errorlogs 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if ! count_meson "$log"; then
        if grep -q 'No suitable tests defined' "$log"; then
            rc=0
        fi
    fi
    record "$name" "$rc"
}

iotests()
{
    local name=$1 dir=$2 rc
    shift 2
    echo "=== $name: tests/iotests/check with $dir/qemu-img, $dir/qemu-io"
    step_pass=0 step_fail=0 step_skip=0
    env "$@" QEMU_IMG="$dir/qemu-img" QEMU_IO="$dir/qemu-io" \
        "$SRCDIR/tests/iotests/check" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    count_check "$log" || true
    record "$name" "$rc"
}

# crash_tests NAME DIR KILLS ENV...: the crash harness (tests/crash) against
# DIR's qemu-io, KILLS SIGKILLs per image kind; its counts join the summary.
crash_tests()
{
    local name=$1 dir=$2 kills=$3 rc line
    shift 3
    echo "=== $name: tests/crash/crash-test.py with $dir/qemu-io"
    step_pass=0 step_fail=0 step_skip=0
    env "$@" python3 "$SRCDIR/tests/crash/crash-test.py" \
        --qemu-io "$dir/qemu-io" --kills "$kills" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^crash: ' "$log" | tail -n 1)
    if [ "$rc" -eq 77 ]; then
        step_skip=1
        rc=0
    elif [ "$rc" -eq 0 ]; then
        step_pass=1
    fi
    record "$name" "$rc"
    if [ -n "$line" ]; then
        steps[-1]="${steps[-1]} (${line#crash: })"
    fi
}

unit_tests "unit ($BUILD)" "$BUILD"
unit_tests "unit ($ASAN_BUILD)" "$ASAN_BUILD" "${ASAN_ENV[@]}"
iotests "iotests ($BUILD)" "$BUILD"
iotests "iotests ($ASAN_BUILD)" "$ASAN_BUILD" "${ASAN_ENV[@]}"
# 3 image kinds x 35 kills, and 3 x 12 under ASan: over 100 kills per run.
crash_tests "crash ($BUILD)" "$BUILD" 35
crash_tests "crash ($ASAN_BUILD)" "$ASAN_BUILD" 12 "${ASAN_ENV[@]}"

echo
echo "=== summary"
printf '%s\n' "${steps[@]}"
if [ "$total_skip" -gt 0 ]; then
    echo "($total_skip skipped)"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
