#!/usr/bin/env bash
# Run our tools over every corrupted image of the corpus and check that each
# command either answers or fails cleanly.
#
# Usage: tests/corpus/run-corpus.sh [options] TOOLS_DIR
#   TOOLS_DIR        holds qemu-img and qemu-io (a build directory)
#   --corpus DIR     the corpus (default TOOLS_DIR/corpus, made or remade by
#                    make-corpus.sh when missing or older than its scripts)
#   --allow-missing  run what exists when qemu-img or qemu-io is missing
#                    (their commands count as skipped); without it a
#                    missing tool is an error
#   -j N             variants at once (default: CPUs)
#   -v               list every failure, not only the first 40
#   --ref            also run the reference qemu-img (REF_QEMU_IMG, default
#                    /usr/bin/qemu-img) for the three info commands and
#                    count any difference in exit code or output as a
#                    failure (not part of make check: where 7.2 crashes or
#                    prints control characters raw we differ on purpose)
#
# Per variant: qemu-img info (human, json), qemu-img info with the key,
# qemu-io -r -c 'read 0 512' with the key, qemu-img check with the key,
# qemu-img convert -O raw with the key.  Each runs under `timeout 20` and a
# 4 GB memory limit: `ulimit -v 4000000`, or for sanitizer builds (whose
# shadow memory alone exceeds any such limit) ASan's hard_rss_limit_mb and
# max_allocation_size_mb with allocator_may_return_null, which is how an
# address-space limit behaves: g_try_malloc() fails, g_malloc() aborts.
# A command passes when:
#   - it exits 0 or 1 (check also 2, 3 and 63, its report codes), never by
#     a signal or the timeout;
#   - stderr has no sanitizer or GLib report;
#   - on failure stderr is one line starting with "qemu-img: " (or
#     "qemu-io: "; qemu-io may instead print "... failed: ..." on stdout;
#     check lists its findings on stderr and ends a failure with such a
#     line);
#   - on success stderr holds nothing but such lines (warnings);
#   - besides, 7.2's "qcow2: Marking image as corrupt: ..." (or "qcow2:
#     Image is corrupt: ...") line may come once;
#   - the image file is byte-identical afterwards (sha256);
#   - info --output=json printed valid JSON;
#   - for variants flagged "ok" in the manifest: it succeeded (check may say
#     63, "not supported") and read found the 0xa5 the base holds.
# Variants flagged "slow-unlock" (billions of PBKDF2 iterations: hours, in
# 7.2 too) skip the three commands that unlock.
# Output: failures with the exact command, then "N passed, N failed".
# Exit status: 0 if nothing failed, 1 otherwise.
set -u

here=$(cd "$(dirname "$0")" && pwd)
allow_missing=0
verbose=0
ref=
corpus=
jobs=$(nproc 2> /dev/null || echo 1)
while [ $# -gt 0 ]; do
    case "$1" in
        --allow-missing) allow_missing=1 ;;
        --corpus) shift; corpus=${1:?--corpus needs a directory} ;;
        -j) shift; jobs=${1:?-j needs a number} ;;
        -v) verbose=1 ;;
        --ref) ref=${REF_QEMU_IMG:-/usr/bin/qemu-img} ;;
        -h | --help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run-corpus: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
if [ $# -ne 1 ]; then
    echo "usage: run-corpus.sh [--allow-missing] [--corpus DIR] [-j N]" \
         "TOOLS_DIR" >&2
    exit 2
fi
tools=$(cd "$1" && pwd) || exit 2
corpus=${corpus:-$tools/corpus}

for tool in qemu-img qemu-io; do
    if [ ! -x "$tools/$tool" ] && [ $allow_missing = 0 ]; then
        echo "run-corpus: $tools/$tool missing (--allow-missing runs the" \
             "other tool's commands only)" >&2
        exit 1
    fi
done
if [ ! -f "$corpus/manifest" ] ||
   [ "$here/make-corpus.sh" -nt "$corpus/manifest" ] ||
   [ "$here/corpus-variants.py" -nt "$corpus/manifest" ]; then
    "$here/make-corpus.sh" "$corpus" || exit 1
fi

results=$(mktemp -d "${TMPDIR:-/tmp}/run-corpus.XXXXXX") || exit 1
trap 'rm -rf "$results"' EXIT
mkdir -p "$results/json"

export QEMU_IMG=$tools/qemu-img QEMU_IO=$tools/qemu-io CORPUS=$corpus
export RESULTS=$results REF_QEMU_IMG=$ref
export SECRET_ARG="secret,id=sec0,data=$(cat "$corpus/password")"
if grep -q __asan_init "$QEMU_IMG" 2> /dev/null ||
   grep -q __asan_init "$QEMU_IO" 2> /dev/null; then
    export CORPUS_ASAN=1
    ASAN_OPTIONS=detect_leaks=1:hard_rss_limit_mb=4000
    ASAN_OPTIONS+=:max_allocation_size_mb=4000:allocator_may_return_null=1
    export ASAN_OPTIONS
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    export CORPUS_ASAN=0
fi

# Sanitizer and GLib reports, and assertion failures.
REPORT_RE='Sanitizer|runtime error:|GLib-CRITICAL|GLib-WARNING|GLib-ERROR'
REPORT_RE+='|\*\* (CRITICAL|ERROR) \*\*|Assertion .* failed|assertion failed'
export REPORT_RE

# verdict NAME RC PREFIX ALLOWED OK: why the command just run failed, or
# nothing if it passed (its output is in $tmp/stdout, $tmp/stderr).  Bash
# builtins only: this runs some 5000 times.
verdict()
{
    local name=$1 rc=$2 prefix=$3 allowed=$4 ok=$5 line stray=
    local -a err out
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "hang: no exit within 20 s"
        return
    fi
    if [ "$rc" -ge 128 ]; then
        echo "killed by signal $((rc - 128))"
        return
    fi
    # 7.2's own line about corruption found while running comes on top
    # of the command's result; it is not the command's error.
    mapfile -t err < <(grep -a -v -E \
        '^qcow2: (Marking image as corrupt|Image is corrupt): ' \
        "$tmp/stderr")
    for line in "${err[@]}"; do
        if [[ $line =~ $REPORT_RE ]]; then
            echo "report on stderr: $line"
            return
        fi
        if [ -z "$stray" ] && [ "${line#"$prefix"}" = "$line" ]; then
            stray=$line
        fi
    done
    case " $allowed " in
        *" $rc "*) ;;
        *) echo "exit code $rc: ${err[0]:-}"; return ;;
    esac
    mapfile -t out < "$tmp/stdout"
    if [ "$ok" = 1 ] && [ "$rc" != 0 ] && [ "$rc" != 63 ]; then
        echo "harmless change, yet exit code $rc: ${err[0]:-${out[*]}}"
        return
    fi
    if [ "$name" = check ] && [ "$rc" != 0 ]; then
        # 7.2 lists what check finds on stderr ("Leaked cluster ...",
        # "ERROR ..."), then fails with "qemu-img: Check failed..." (1),
        # or exits 2 (corruptions), 3 (leaks) or 63 (no check).
        line=
        if [ ${#err[@]} -gt 0 ]; then
            line=${err[-1]}
        fi
        if [ "$rc" = 1 ] && [ "${line#"$prefix"}" = "$line" ]; then
            echo "check failed without a '$prefix' line: $line"
        fi
        return
    fi
    if [ "$rc" = 0 ]; then
        if [ -n "$stray" ]; then
            echo "stray stderr: $stray"
        fi
        return
    fi
    if [ ${#err[@]} = 0 ] && [ "$prefix" = "qemu-io: " ] &&
       [[ ${out[*]} == *failed* ]]; then
        return
    fi
    if [ ${#err[@]} != 1 ] || [ -n "$stray" ]; then
        echo "error is not one '$prefix' line (${#err[@]} lines):" \
             "${err[0]:-}"
    fi
}

# run_cmd NAME TOOL ALLOWED UNLOCKS ARGS...: run one command on $file and
# append its result line to $log.
run_cmd()
{
    local name=$1 tool=$2 allowed=$3 unlocks=$4 bin prefix rc why sum cmd
    shift 4
    if [ "$tool" = img ]; then
        bin=$QEMU_IMG prefix="qemu-img: "
    else
        bin=$QEMU_IO prefix="qemu-io: "
    fi
    if [ ! -x "$bin" ]; then
        printf 'SKIP\t%s\t%s\tno %s\n' "$rel" "$name" "$bin" >> "$log"
        return
    fi
    if [ "$slow" = 1 ] && [ "$unlocks" = 1 ]; then
        printf 'SKIP\t%s\t%s\tslow-unlock\n' "$rel" "$name" >> "$log"
        return
    fi
    # The outer subshell takes bash's "Segmentation fault" notes (hence
    # the exit: as its last command, the inner one would be exec'd).
    ( (
        if [ "$CORPUS_ASAN" = 0 ]; then
            ulimit -v 4000000
        fi
        exec timeout -k 5 20 "$bin" "$@"
    ) > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null; exit $? ) 2> /dev/null
    rc=$?
    why=$(verdict "$name" "$rc" "$prefix" "$allowed" "$ok")
    sum=$(sha256sum < "$file")
    if [ -z "$why" ] && [ "$sum" != "$sum0" ]; then
        why="the image file changed"
    fi
    if [ -z "$why" ] && [ "$name" = info-json ] && [ "$rc" = 0 ]; then
        cp "$tmp/stdout" "$RESULTS/json/$idx.json"
        printf '%s\t%s\n' "$rel" "$(printf '%q ' "$bin" "$@")" \
            > "$RESULTS/json/$idx.cmd"
    fi
    if [ -n "$why" ]; then
        cmd=$(printf '%q ' "$bin" "$@")
        printf 'FAIL\t%s\t%s\t%s\t%s\n' "$rel" "$name" "$why" "$cmd" >> "$log"
    else
        printf 'PASS\t%s\t%s\n' "$rel" "$name" >> "$log"
    fi
    rm -f "$tmp/out.raw"
    if [ -n "$REF_QEMU_IMG" ] && [ "$tool" = img ] && [ "$unlocks" = 0 ]; then
        compare_ref "$name" "$rc" "$@"
    fi
}

# compare_ref NAME RC ARGS...: run the reference qemu-img the same way and
# compare exit code, stdout and stderr with ours (kept in $tmp).
compare_ref()
{
    local name=$1-vs-ref rc=$2 ref_rc diff
    shift 2
    ( "$REF_QEMU_IMG" "$@" > "$tmp/ref.stdout" 2> "$tmp/ref.stderr" \
        < /dev/null; exit $? ) 2> /dev/null
    ref_rc=$?
    if [ "$ref_rc" -ge 128 ]; then
        printf 'SKIP\t%s\t%s\treference killed by signal %d\n' "$rel" \
            "$name" $((ref_rc - 128)) >> "$log"
        return
    fi
    diff=$(diff "$tmp/stdout" "$tmp/ref.stdout"; diff "$tmp/stderr" \
           "$tmp/ref.stderr")
    if [ "$rc" != "$ref_rc" ] || [ -n "$diff" ]; then
        diff=$(printf '%s' "$diff" | grep -a -m 2 '^[<>]' | tr '\n' ' ')
        printf 'FAIL\t%s\t%s\texit %s, reference %s: %s\t%s\n' "$rel" \
            "$name" "$rc" "$ref_rc" "$diff" \
            "$(printf '%q ' "$REF_QEMU_IMG" "$@")" >> "$log"
    else
        printf 'PASS\t%s\t%s\n' "$rel" "$name" >> "$log"
    fi
}

# run_variant INDEX REL FORMAT FLAGS: every command on one variant.
run_variant()
{
    local idx=$1 rel=$2 fmt=$3 flags=$4
    local file=$CORPUS/$rel log=$RESULTS/$1.log tmp=$RESULTS/tmp.$1
    local key=key-secret opts pattern= ok=0 slow=0 sum0
    [ "$fmt" = luks ] || key=encrypt.key-secret
    case ",$flags," in *,ok,*) ok=1 pattern='-P 0xa5 ' ;; esac
    case ",$flags," in *,slow-unlock,*) slow=1 ;; esac
    mkdir -p "$tmp"
    opts="driver=$fmt,file.filename=${file//,/,,},$key=sec0"
    sum0=$(sha256sum < "$file")
    run_cmd info img "0 1" 0 info "$file"
    run_cmd info-json img "0 1" 0 info --output=json "$file"
    run_cmd info-key img "0 1" 0 info --object "$SECRET_ARG" \
        --image-opts "$opts"
    run_cmd read io "0 1" 1 -r --object "$SECRET_ARG" --image-opts "$opts" \
        -c "read ${pattern}0 512"
    run_cmd check img "0 1 2 3 63" 1 check --object "$SECRET_ARG" \
        --image-opts "$opts"
    run_cmd convert img "0 1" 1 convert --object "$SECRET_ARG" \
        --image-opts "$opts" -O raw "$tmp/out.raw"
    rm -rf "$tmp"
}
export -f verdict run_cmd compare_ref run_variant

nvariants=$(wc -l < "$corpus/manifest")
echo "run-corpus: $nvariants variants in $corpus, tools in $tools," \
     "$jobs at a time"
# One worker per variant: "INDEX REL FORMAT FLAGS" (no tabs or spaces in
# any of them).
awk -F '\t' '{ printf "%d %s %s %s\n", NR, $1, $2, $3 }' "$corpus/manifest" |
    xargs -P "$jobs" -L 1 bash -c 'run_variant "$@"' _

# info --output=json must have printed one valid JSON document.
python3 - "$results/json" >> "$results/json.log" <<'PYEOF'
import json, os, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if not name.endswith('.json'):
        continue
    rel, cmd = open(os.path.join(d, name[:-5] + '.cmd')).read().rstrip(
        '\n').split('\t', 1)
    try:
        json.loads(open(os.path.join(d, name), 'rb').read().decode('utf-8'))
    except ValueError as e:
        print('FAIL\t%s\tinfo-json-valid\tinvalid JSON: %s\t%s' % (rel, e, cmd))
    else:
        print('PASS\t%s\tinfo-json-valid' % rel)
PYEOF

cat "$results"/*.log > "$results/all"
passed=$(grep -c '^PASS' "$results/all")
failed=$(grep -c '^FAIL' "$results/all")
skipped=$(grep -c '^SKIP' "$results/all")
if [ "$failed" -gt 0 ]; then
    echo "Failures (variant, command, reason, reproduce with):"
    grep '^FAIL' "$results/all" | sort |
        if [ $verbose = 1 ]; then cat; else head -n 40; fi |
        awk -F '\t' '{ printf "  %s %s: %s\n      %s\n", $2, $3, $4, $5 }'
    if [ $verbose = 0 ] && [ "$failed" -gt 40 ]; then
        echo "  ... $((failed - 40)) more (run with -v to list them all)"
    fi
    echo "Failures by reason:"
    grep '^FAIL' "$results/all" | cut -f 3,4 |
        sed -E 's/: .*//' | sort | uniq -c | sort -rn | sed 's/^/  /'
fi
if [ "$skipped" -gt 0 ]; then
    echo "Skipped commands, by reason:"
    grep '^SKIP' "$results/all" | cut -f 4 | sort | uniq -c | sed 's/^/  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
