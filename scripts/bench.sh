#!/bin/bash
# Benchmarks: our tools against the reference qemu-img 7.2 on the same data
# in tmpfs, in interleaved paired runs, reported as medians and ratios
# (ours / reference wall time) against the performance targets, with peak
# memory, CPU use, PBKDF2 calibration, cipher tables and a plot.
#
# Usage: scripts/bench.sh BUILD_DIR [SIZE_MIB] [RUNS]
# Environment (all optional):
#   BENCH_SIZE_MIB    size of the random test data (default 512, or $2)
#   BENCH_RUNS        paired runs per target, median taken (default 3, or $3)
#   BENCH_MEM_MIB     size of the peak-memory convert (default 1024)
#   BENCH_ITER_TIMES  LUKS iter-time values (ms) to calibrate (default
#                     "100 1000 2000"); the 10% target applies from 100 on
#   BENCH_PLOT_MIB    data per point of the request-size sweep (default 128)
#   BENCH_SECTIONS    which parts to run (default all: "targets memory
#                     pbkdf ciphers plot")
#   BENCH_OUT         also write the markdown report to this file
#   BENCH_PLOT        the png plot (default: BENCH_OUT with .png, else
#                     BUILD_DIR/bench.png); needs gnuplot
#   REF_QEMU_IMG, REF_QEMU_IO   the reference tools (/usr/bin/qemu-img, -io)
#   TMPDIR            where the data goes (default /dev/shm)
# Commas inside array elements are option values, not separators.
# shellcheck disable=SC2054
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-${2:-512}}
RUNS=${BENCH_RUNS:-${3:-3}}
MEM_MIB=${BENCH_MEM_MIB:-1024}
ITER_TIMES=${BENCH_ITER_TIMES:-100 1000 2000}
PLOT_MIB=${BENCH_PLOT_MIB:-128}
SECTIONS=${BENCH_SECTIONS:-targets memory pbkdf ciphers plot}
OUT=${BENCH_OUT:-}
if [ -n "$OUT" ]; then
    PLOT=${BENCH_PLOT:-${OUT%.md}.png}
else
    PLOT=${BENCH_PLOT:-$BUILD/bench.png}
fi
OURS=$BUILD/qemu-img
OURS_IO=$BUILD/qemu-io
REF=${REF_QEMU_IMG:-/usr/bin/qemu-img}
REF_IO=${REF_QEMU_IO:-/usr/bin/qemu-io}
CRYPTO=$BUILD/tests/bench/bench-crypto
DIR=$(mktemp -d "${TMPDIR:-/dev/shm}/qcrypt-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
REPORT=$DIR/report.md
SEC=(--object secret,id=sec0,data=bench-password)
SIZE_BYTES=$((SIZE_MIB * 1024 * 1024))
BENCH_REQS=$((SIZE_BYTES / 4096))

for f in "$OURS" "$OURS_IO" "$REF" "$REF_IO" "$CRYPTO"; do
    if [ ! -x "$f" ]; then
        echo "bench: $f is missing (make build; scripts/install-deps.sh" \
             "bench)" >&2
        exit 1
    fi
done

log() { echo "bench: $*" >&2; }
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
report() { printf '%s\n' "$*" >> "$REPORT"; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
maximum() { sort -g | tail -n 1; }

# measure FN TOOL: FN TOOL sets CMD to a command line, which runs once;
# sets W (wall s), U, S (user, sys s), M (max RSS KiB) and F (minor page
# faults: each first touch of fresh memory).  7.2's PBKDF2
# calibration sometimes fails ("Unable to get accurate CPU usage"): such a
# run is counted in CPU_FAILS and repeated.
CPU_FAILS=0
measure() {
    local tries
    for ((tries = 0; ; tries++)); do
        "$1" "$2"
        if run_timed "${CMD[@]}"; then
            break
        fi
        if [ $tries -lt 5 ] && grep -q 'accurate CPU usage' "$DIR/cmd.err"
        then
            CPU_FAILS=$((CPU_FAILS + 1))
            continue
        fi
        echo "bench: failed: ${CMD[*]}" >&2
        cat "$DIR/cmd.err" >&2
        exit 1
    done
    read -r W U S M F < "$DIR/time.txt"
}

# run_timed CMD...: run CMD (output to cmd.out and cmd.err); write
# "wall user sys maxrss_kib minor_faults" to time.txt, times in seconds
# with microsecond resolution (GNU time prints hundredths, too coarse for
# calibrations)
run_timed() {
    python3 - "$DIR" "$@" <<'PY'
import os, subprocess, sys, time
d = sys.argv[1]
with open(d + "/cmd.out", "wb") as out, open(d + "/cmd.err", "wb") as err:
    t0 = time.monotonic()
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL,
                         stdout=out, stderr=err)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
with open(d + "/time.txt", "w") as f:
    f.write("%.6f %.6f %.6f %d %d\n" % (wall, ru.ru_utime, ru.ru_stime,
                                        ru.ru_maxrss, ru.ru_minflt))
sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)
PY
}

# ref_luks_qcow2 FILE: an empty LUKS qcow2 of SIZE_MIB, made by 7.2
run_ref_luks_qcow2() {
    rm -f "$LUKS_FILE"
    CMD=("$1" create -q -f qcow2 "${SEC[@]}" -o encrypt.format=luks
         -o encrypt.key-secret=sec0,encrypt.iter-time=10
         "$LUKS_FILE" "${SIZE_MIB}M")
}
ref_luks_qcow2() {
    LUKS_FILE=$1
    measure run_ref_luks_qcow2 "$REF"
}

# A convenient no-op setup step.
nosetup() { :; }

# verdict RATIO LIMIT: PASS when RATIO <= LIMIT
verdict() {
    if awk "BEGIN { exit !($1 <= $2) }"; then echo PASS; else echo MISS; fi
}

# The I/O floor of a target: what the machine needs for the data movement
# alone, with no tool involved.  floor_write: SIZE bytes into a new file
# (the cheapest way to make the output of a convert: one writer, as a
# file's writes are serialised by the kernel anyway); floor_read2: reading
# both inputs of a compare (one reader each, at once).
run_floor_write() {
    rm -f "$DIR/floor.out"
    CMD=(dd if=/dev/zero of="$DIR/floor.out" bs=2M count=$((SIZE_MIB / 2))
         status=none)
}
run_floor_read2() {
    CMD=(sh -c 'cat "$1" > /dev/null & cat "$2" > /dev/null; wait' sh
         "$DIR/src.raw" "$DIR/src.luks.qcow2")
}

# prime_memory: write and delete a file a little larger than the data,
# untimed, right before a timed run.  This VM hands freed memory back to
# its host (virtio-balloon free page reporting), and touching such memory
# again costs a fault in the host: a run that happened to get those pages
# for its output took twice as long (0.3 against 0.7 s for the same
# convert).  Priming gives every run, either tool's and the floor's,
# memory that was just in use, whichever tool ran before it.
prime_memory() {
    dd if=/dev/zero of="$DIR/prime" bs=2M count=$((SIZE_MIB / 2 + 64)) \
        status=none
    rm -f "$DIR/prime"
}

# bench NAME BYTES LIMIT SETUP RUN [FLOOR]: RUNS pairs of RUN TOOL (after
# an untimed SETUP TOOL), reference and ours alternating, each followed by
# run_FLOOR when given; one report row.
bench() {
    local name=$1 bytes=$2 limit=$3 setup=$4 run=$5 floor=${6:-} i tool side
    local -A wall=() cpu=() rss=()
    local floors=""
    log "$name"
    for ((i = 0; i < RUNS; i++)); do
        # Strict alternation: a burst of noise from the host (they last a
        # second or two here) then slows runs of both tools.
        for side in ref ours; do
            if [ $side = ref ]; then tool=$REF; else tool=$OURS; fi
            "$setup" "$tool"
            prime_memory
            measure "$run" "$tool"
            log "  $side: $W s"
            wall[$side]+="$W "
            cpu[$side]+="$(calc "($U + $S) / $W" 2) "
            rss[$side]+="$M "
        done
        if [ -n "$floor" ]; then
            prime_memory
            measure "run_floor_$floor" none
            floors+="$W "
        fi
    done
    rm -f "$DIR/floor.out"
    local wo wr
    wo=$(printf '%s\n' ${wall[ours]} | median)
    wr=$(printf '%s\n' ${wall[ref]} | median)
    local ratio best=-
    ratio=$(calc "$wo / $wr")
    if [ -n "$floor" ]; then
        best=$(calc "$(printf '%s\n' $floors | median) / $wr")
    fi
    report "| $name | $(calc "$wo" 3) | $(calc "$wr" 3)" \
           "| $(calc "$bytes / 1e6 / $wo" 0) | $(calc "$bytes / 1e6 / $wr" 0)" \
           "| **$ratio** | <= $limit | $best | $(verdict "$ratio" "$limit")" \
           "| $(printf '%s\n' ${cpu[ours]} | median)" \
           "| $(printf '%s\n' ${cpu[ref]} | median)" \
           "| $(calc "$(printf '%s\n' ${rss[ours]} | maximum) / 1024" 0)" \
           "| $(calc "$(printf '%s\n' ${rss[ref]} | maximum) / 1024" 0) |"
}

luks_qcow2_opts() {
    echo "driver=qcow2,file.filename=$1,encrypt.key-secret=sec0"
}

# --- the targets -----------------------------------------------------------
setup_luks_target() { ref_luks_qcow2 "$DIR/out.qcow2"; }
run_raw_to_luks() {
    CMD=("$1" convert -n --target-image-opts "${SEC[@]}" -f raw "$DIR/src.raw"
        "$(luks_qcow2_opts "$DIR/out.qcow2")")
}
setup_out_raw() { rm -f "$DIR/out.raw"; }
run_luks_to_raw() {
    CMD=("$1" convert "${SEC[@]}" --image-opts
         "$(luks_qcow2_opts "$DIR/src.luks.qcow2")" -O raw "$DIR/out.raw")
}
run_compare() {
    CMD=("$1" compare "${SEC[@]}" --image-opts \
        "$(luks_qcow2_opts "$DIR/src.luks.qcow2")"
        "driver=raw,file.filename=$DIR/src.raw")
}
setup_out_qcow2() { rm -f "$DIR/plain.qcow2"; }
run_raw_to_qcow2() {
    CMD=("$1" convert -f raw -O qcow2 "$DIR/src.raw" "$DIR/plain.qcow2")
}
run_qcow2_to_raw() {
    CMD=("$1" convert -f qcow2 -O raw "$DIR/src.qcow2" "$DIR/out.raw")
}
run_raw_to_raw() {
    CMD=("$1" convert -f raw -O raw "$DIR/src.raw" "$DIR/out.raw")
}
BENCH_CACHE=none
run_bench_read() {
    CMD=("$1" bench -f qcow2 -t "$BENCH_CACHE" -c "$BENCH_REQS" -s 4096
         -d 32 "$DIR/src.qcow2")
}
run_bench_write() {
    CMD=("$1" bench -w -f qcow2 -t "$BENCH_CACHE" -c "$BENCH_REQS" -s 4096
        -d 32 "$DIR/rw.qcow2")
}

setup_data() {
    log "setup: $SIZE_MIB MiB of random data in $DIR"
    head -c "$SIZE_BYTES" /dev/urandom > "$DIR/src.raw"
    ref_luks_qcow2 "$DIR/src.luks.qcow2"
    "$REF" convert -n --target-image-opts "${SEC[@]}" -f raw "$DIR/src.raw" \
        "$(luks_qcow2_opts "$DIR/src.luks.qcow2")"
    "$REF" convert -f raw -O qcow2 "$DIR/src.raw" "$DIR/src.qcow2"
    cp "$DIR/src.qcow2" "$DIR/rw.qcow2"
    # O_DIRECT on tmpfs needs Linux 6.6; fall back to the page cache.
    if ! "$REF" bench -q -f qcow2 -t none -c 1 "$DIR/src.qcow2" \
            >/dev/null 2>&1; then
        BENCH_CACHE=writeback
    fi
}

targets() {
    report "| target | ours s | ref s | ours MB/s | ref MB/s | ratio" \
           "| limit | floor ratio | result | ours CPU | ref CPU" \
           "| ours RSS MiB | ref RSS MiB |"
    report "|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|"
    bench "convert raw -> LUKS qcow2 (-n)" "$SIZE_BYTES" 0.10 \
        setup_luks_target run_raw_to_luks write
    bench "convert LUKS qcow2 -> raw" "$SIZE_BYTES" 0.10 \
        setup_out_raw run_luks_to_raw write
    bench "compare LUKS qcow2 vs raw" "$SIZE_BYTES" 0.10 \
        nosetup run_compare read2
    bench "convert raw -> qcow2" "$SIZE_BYTES" 0.8 \
        setup_out_qcow2 run_raw_to_qcow2 write
    bench "convert qcow2 -> raw" "$SIZE_BYTES" 0.8 \
        setup_out_raw run_qcow2_to_raw write
    bench "bench 4 KiB read d32 (qcow2, -t $BENCH_CACHE)" "$SIZE_BYTES" 0.8 \
        nosetup run_bench_read
    bench "bench 4 KiB write d32 (qcow2, -t $BENCH_CACHE)" "$SIZE_BYTES" \
        0.8 nosetup run_bench_write
    bench "convert raw -> raw (no target)" "$SIZE_BYTES" 1.0 \
        setup_out_raw run_raw_to_raw write
}

# --- peak memory of a big convert -------------------------------------------
run_mem_to_luks() {
    CMD=("$1" convert "${SEC[@]}" -f raw -O qcow2
         -o encrypt.format=luks,encrypt.key-secret=sec0
         -o encrypt.iter-time=10 "$DIR/mem.raw" "$DIR/mem.qcow2")
}
run_mem_from_luks() {
    CMD=("$1" convert "${SEC[@]}" --image-opts
         "$(luks_qcow2_opts "$DIR/mem.qcow2")"
         -O raw "$DIR/mem.out")
}
memory() {
    local bytes=$((MEM_MIB * 1024 * 1024)) side tool rss
    log "peak memory: $MEM_MIB MiB converts"
    head -c "$bytes" /dev/urandom > "$DIR/mem.raw"
    report "| $MEM_MIB MiB convert | tool | wall s | CPU | page faults" \
           "| max RSS MiB | limit | result |"
    report "|---|---|---:|---:|---:|---:|---|---|"
    for side in ref ours; do
        if [ $side = ref ]; then tool=$REF; else tool=$OURS; fi
        rm -f "$DIR/mem.qcow2" "$DIR/mem.out"
        measure run_mem_to_luks "$tool"
        rss=$(calc "$M / 1024" 1)
        report "| raw -> LUKS qcow2 | $side | $(calc "$W" 2)" \
               "| $(calc "($U + $S) / $W" 2) | $F | $rss | < 64" \
               "| $(verdict "$rss" 63.999) |"
        measure run_mem_from_luks "$tool"
        rss=$(calc "$M / 1024" 1)
        report "| LUKS qcow2 -> raw | $side | $(calc "$W" 2)" \
               "| $(calc "($U + $S) / $W" 2) | $F | $rss | < 64" \
               "| $(verdict "$rss" 63.999) |"
    done
    rm -f "$DIR/mem.raw" "$DIR/mem.qcow2" "$DIR/mem.out"
}

# --- PBKDF2 calibration -------------------------------------------------------
# luks_iters FILE: print "MK-iterations slot0-iterations"
luks_iters() {
    cryptsetup luksDump "$1" | awk '
        /^MK iterations:/ { mk = $3 }
        /^Key Slot 0: ENABLED/ { s0 = 1 }
        s0 && /Iterations:/ { it = $2; s0 = 0 }
        END { print mk, it }'
}

run_luks_create() {
    rm -f "$DIR/k.luks"
    CMD=("$1" create -q -f luks "${SEC[@]}" -o key-secret=sec0,iter-time="$ITER"
        "$DIR/k.luks" 1M)
}
run_luks_unlock() {
    CMD=("$1" "${SEC[@]}" --image-opts -c 'read 0 512'
        "driver=luks,file.filename=$DIR/k.luks,key-secret=sec0")
}

# One row per iter-time and tool, medians of RUNS: the CPU time of a create
# minus that of the PBKDF2 work itself (an unlock derives the same slot and
# digest iterations) is what the calibration costs; CPU time, not wall,
# because other work on the machine inflates wall time.  Ours passes when
# that is under 10% of iter-time and its median iteration counts (slot and
# master key digest) are at least the reference's; the target applies
# from an iter-time of 100 ms on (below, the verdict is in parentheses).
pbkdf() {
    local side tool io i w c u mk it
    report "| iter-time ms | tool | create wall s | create CPU s" \
           "| unlock CPU s | calibration CPU ms" \
           "| % of iter-time | MK iterations | slot iterations" \
           "| slot / ref median | lowest / ref median | result |"
    report "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for ITER in $ITER_TIMES; do
        log "PBKDF2 calibration, iter-time=$ITER"
        local -A create=() ccpu=() ucpu=() mks=() its=()
        for ((i = 0; i < RUNS; i++)); do
            for side in ref ours; do
                if [ $side = ref ]; then
                    tool=$REF; io=$REF_IO
                else
                    tool=$OURS; io=$OURS_IO
                fi
                measure run_luks_create "$tool"
                create[$side]+="$W "
                ccpu[$side]+="$(calc "$U + $S" 6) "
                measure run_luks_unlock "$io"
                ucpu[$side]+="$(calc "$U + $S" 6) "
                read -r mk it < <(luks_iters "$DIR/k.luks")
                mks[$side]+="$mk "
                its[$side]+="$it "
            done
        done
        local ref_it ref_mk
        ref_it=$(printf '%s\n' ${its[ref]} | median)
        ref_mk=$(printf '%s\n' ${mks[ref]} | median)
        for side in ref ours; do
            w=$(printf '%s\n' ${create[$side]} | median)
            c=$(printf '%s\n' ${ccpu[$side]} | median)
            u=$(printf '%s\n' ${ucpu[$side]} | median)
            mk=$(printf '%s\n' ${mks[$side]} | median)
            it=$(printf '%s\n' ${its[$side]} | median)
            local cal pct ratio low result=
            cal=$(calc "($c - $u) * 1000" 0)
            pct=$(calc "($c - $u) * 100000 / $ITER" 1)
            ratio=$(calc "$it / $ref_it")
            low=$(calc "$(printf '%s\n' ${its[$side]} | sort -g |
                         head -n 1) / $ref_it")
            if [ $side = ours ]; then
                if awk "BEGIN { exit !($pct < 10 && $it >= $ref_it &&
                                      $mk >= $ref_mk) }"; then
                    result=PASS
                else
                    result=MISS
                fi
                if [ "$ITER" -lt 100 ]; then
                    result="($result)"
                fi
            fi
            report "| $ITER | $side | $(calc "$w" 3) | $(calc "$c" 3)" \
                   "| $(calc "$u" 3)" \
                   "| $cal | $pct | $mk | $it | $ratio | $low | $result |"
        done
    done
}

# --- the plot ---------------------------------------------------------------
# MB/s of qemu-img bench on a qcow2 against the request size (7.2's bench
# takes no --object, so it cannot open an encrypted image), and of
# aes-256-xts in bench-crypto against the thread count.
sweep_sizes() {
    local size count tool side rw flag file t i
    printf '# size_kib ours_read ref_read ours_write ref_write\n' \
        > "$DIR/sizes.dat"
    for size in 4096 16384 65536 262144 1048576 4194304; do
        count=$((PLOT_MIB * 1024 * 1024 / size))
        local line="$((size / 1024))"
        for rw in read write; do
            flag=; file=src.qcow2
            if [ $rw = write ]; then flag=-w; file=rw.qcow2; fi
            local -A mbps=()
            log "sweep: $rw $size"
            for ((i = 0; i < RUNS; i++)); do
                for side in ref ours; do
                    if [ $side = ref ]; then tool=$REF; else tool=$OURS; fi
                    "$tool" bench $flag -f qcow2 -t "$BENCH_CACHE" \
                        -c "$count" -s "$size" -d 32 "$DIR/$file" \
                        > "$DIR/b.out"
                    t=$(sed -n 's/^Run completed in \([0-9.]*\) s.*/\1/p' \
                        "$DIR/b.out")
                    t=$(calc "$count * $size / 1e6 / ($t + 0.0005)" 1)
                    mbps[$side]+="$t "
                done
            done
            line+=" $(printf '%s\n' ${mbps[ours]} | median)"
            line+=" $(printf '%s\n' ${mbps[ref]} | median)"
        done
        echo "$line" >> "$DIR/sizes.dat"
    done
}

# MB/s of qemu-img dd out of the LUKS qcow2 against bs (one request of bs
# at a time, decrypted, written to a raw file): the encrypted read path.
run_dd() {
    CMD=("$1" dd "${SEC[@]}" --image-opts -O raw "bs=$DD_BS"
         "count=$((PLOT_MIB * 1024 * 1024 / DD_BS))"
         "if=$(luks_qcow2_opts "$DIR/src.luks.qcow2")" "of=$DIR/dd.raw")
}
setup_dd() { rm -f "$DIR/dd.raw"; }
sweep_dd() {
    local side tool i
    printf '# size_kib ours_mbps ref_mbps\n' > "$DIR/dd.dat"
    for DD_BS in 4096 16384 65536 262144 1048576 4194304; do
        local -A mbps=()
        log "sweep: dd bs=$DD_BS"
        for ((i = 0; i < RUNS; i++)); do
            for side in ref ours; do
                if [ $side = ref ]; then tool=$REF; else tool=$OURS; fi
                setup_dd
                measure run_dd "$tool"
                mbps[$side]+="$(calc "$PLOT_MIB * 1.048576 / $W" 1) "
            done
        done
        echo "$((DD_BS / 1024)) $(printf '%s\n' ${mbps[ours]} | median)" \
             "$(printf '%s\n' ${mbps[ref]} | median)" >> "$DIR/dd.dat"
    done
}

plot() {
    if ! command -v gnuplot >/dev/null; then
        log "gnuplot missing: no plot (scripts/install-deps.sh bench)"
        return
    fi
    sweep_sizes
    sweep_dd
    log "sweep: aes-256-xts against threads"
    "$CRYPTO" sweep 0.2 4 > "$DIR/threads.dat"
    gnuplot <<EOF
set terminal pngcairo size 2000,560 font ",11"
set output "$PLOT"
set multiplot layout 1,3 title "$(lscpu | sed -n 's/^Model name: *//p'), \
$(nproc) cores, $(date -u '+%F %H:%M UTC'), load $(cut -d' ' -f1 /proc/loadavg)"
set title "qemu-img bench on a qcow2 (depth 32, -t $BENCH_CACHE)"
set xlabel "request size (KiB)"
set ylabel "MB/s"
set logscale x 2
set key top left
set grid
set yrange [0:*]
plot "$DIR/sizes.dat" using 1:2 with linespoints lw 2 title "ours read", \
     "" using 1:3 with linespoints lw 2 dt 2 title "7.2 read", \
     "" using 1:4 with linespoints lw 2 title "ours write", \
     "" using 1:5 with linespoints lw 2 dt 2 title "7.2 write"
set title "qemu-img dd out of a LUKS qcow2 (wall time, bs = request size)"
plot "$DIR/dd.dat" using 1:2 with linespoints lw 2 title "ours", \
     "" using 1:3 with linespoints lw 2 dt 2 title "7.2"
unset logscale x
set title "aes-256-xts encrypt, N threads at once (bench-crypto sweep)"
set xlabel "threads"
set xtics 1
set key below
plot "< grep '^openssl 512 ' $DIR/threads.dat" using 3:4 \
        with linespoints lw 2 title "OpenSSL (ours), 512 B calls", \
     "< grep '^openssl 4096 ' $DIR/threads.dat" using 3:4 \
        with linespoints lw 2 title "OpenSSL (ours), 4 KiB calls", \
     "< grep '^nettle 512 ' $DIR/threads.dat" using 3:4 \
        with linespoints lw 2 dt 2 title "nettle (7.2's library), 512 B", \
     "< grep '^nettle 4096 ' $DIR/threads.dat" using 3:4 \
        with linespoints lw 2 dt 2 title "nettle, 4 KiB calls"
unset multiplot
EOF
    report "Request-size sweep (MB/s as qemu-img bench reports its run time;" \
           "$PLOT_MIB MiB per point, median of $RUNS):"
    report ""
    report "| KiB | ours read | 7.2 read | ours write | 7.2 write |"
    report "|---:|---:|---:|---:|---:|"
    grep -v '^#' "$DIR/sizes.dat" | sed 's/ / | /g; s/^/| /; s/$/ |/' \
        >> "$REPORT"
    report ""
    report "qemu-img dd out of the LUKS qcow2 into a raw file (MB/s by wall" \
           "time; bs = request size; $PLOT_MIB MiB, median of $RUNS):"
    report ""
    report "| KiB | ours | 7.2 |"
    report "|---:|---:|---:|"
    grep -v '^#' "$DIR/dd.dat" | sed 's/ / | /g; s/^/| /; s/$/ |/' \
        >> "$REPORT"
    report ""
    report "![throughput against request size and threads]($(basename "$PLOT"))"
}

# --- the report -------------------------------------------------------------
machine() {
    report "Run $(date -u '+%F %H:%M UTC') at $(git -C "$(dirname "$0")" \
        describe --always --dirty 2>/dev/null || echo unknown);" \
        "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
        "$(free -g | awk '/^Mem:/ { print $2 }') GiB," \
        "Linux $(uname -r); data in ${TMPDIR:-/dev/shm}" \
        "($(stat -f -c %T "$DIR")); $SIZE_MIB MiB, median of $RUNS pairs;" \
        "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    report ""
}

: > "$REPORT"
report "# Benchmark results"
report ""
machine
setup_data
if want targets; then
    report "## Targets (ratio = ours / reference wall time)"
    report ""
    targets
    report ""
    report "CPU = (user + sys) / wall: 2.00 is both cores busy all the run."
    report "Floor ratio = the data movement alone, with no tool (a new" \
           "file of the same size written with dd from /dev/zero for the" \
           "converts; both inputs read at once with cat for compare), over" \
           "the reference's time: no tool can get below it on this machine."

    report ""
fi
if want memory; then
    report "## Peak memory"
    report ""
    memory
    report ""
fi
if want pbkdf; then
    report "## PBKDF2 calibration (LUKS create, median of $RUNS)"
    report ""
    pbkdf
    report ""
    report "7.2's create failed with \"Unable to get accurate CPU usage\"" \
           "$CPU_FAILS times in this run (each repeated)."
    report ""
    log "PBKDF2 calibration accuracy"
    "$CRYPTO" pbkdf 9 >> "$REPORT"
    report ""
fi
if want ciphers; then
    log "cipher table"
    report "## Ciphers (tests/bench/bench-crypto)"
    report ""
    "$CRYPTO" table >> "$REPORT"
    report ""
fi
if want plot; then
    report "## Throughput against request size and threads"
    report ""
    plot
fi

cat "$REPORT"
if [ -n "$OUT" ]; then
    cp "$REPORT" "$OUT"
    log "wrote $OUT${PLOT:+ and $PLOT}"
fi
