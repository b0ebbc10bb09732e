# ref-retry.sh: sourced by the scripts that build test inputs with the
# reference tools (tests/corpus/make-corpus.sh, tests/fuzz/make-seeds.sh).
#
# retry CMD...: 7.2's PBKDF2 calibration sometimes fails with "Unable to
# get accurate CPU usage"; retry those runs only (up to 20 times).  Uses
# the caller's scratch directory $work; stdout is discarded, stderr shown
# on a real failure.
retry()
{
    local n=0
    until "$@" > /dev/null 2> "$work/err"; do
        n=$((n + 1))
        if [ $n -ge 20 ] || ! grep -q 'accurate CPU usage' "$work/err"; then
            cat "$work/err" >&2
            return 1
        fi
    done
}
