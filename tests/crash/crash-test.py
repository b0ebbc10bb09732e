#!/usr/bin/env python3
"""crash-test.py: crash consistency of our qemu-io's qcow2 writes.

Usage: crash-test.py --qemu-io OURS [--kills N] [--sweep-cmds N] [--seed S]
                     [--kinds plain,lazy,luks] [--workdir DIR]

Two ways of "crashing" our qemu-io in the middle of a seeded random
workload (writes with a pattern byte, zero writes, cluster-aligned
discards, flushes) on three kinds of qcow2 images made by the reference
qemu-img: plain, lazy_refcounts=on, and LUKS-encrypted (secret sec0):

  kill   qemu-io runs the workload interactively and gets SIGKILL at a
         random moment (--kills per kind).  The file then holds every
         write(2) that completed; metadata still in our caches is lost.
  sweep  the image is opened through blkdebug with x-crash-after-writes=N
         (our extension: the first N writes reach the file, every later
         write and flush fails), for every N from 0 until the workload
         runs through, so the crash lands on every write of a short
         workload (--sweep-cmds commands) once.

After each crash the reference tools judge the file: a lazy_refcounts
image is first opened read-write by the reference qemu-io (which repairs
it); then the reference `qemu-img check` must find no corruption (leaks
are allowed), the corrupt bit must be clear, and the guest data (read
with the reference `qemu-img convert`) must hold every write acknowledged
before the last completed flush; sectors written after it may hold any
value written since.  qemu-io prints a prompt before each command and
flushes stdout then, so each prompt marks the end of the command before.

Prints one line per kind and a closing line
"crash: K kills, N injected crashes, F failures"; exits 1 on any failure.
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SECTOR = 512
PROMPT = b"qemu-io> "
SECRET = "crash-test passphrase"

KINDS = {
    "plain": "cluster_size=4096",
    "lazy": "cluster_size=4096,lazy_refcounts=on",
    "luks": "cluster_size=4096,encrypt.format=luks,"
            "encrypt.key-secret=sec0,encrypt.iter-time=10",
}
IMAGE_SIZE = 12 << 20


class Ctx:
    """Tools, scratch directory and counters of one run."""

    def __init__(self, args):
        self.ours = args.qemu_io
        self.ref_img = args.ref_qemu_img
        self.ref_io = args.ref_qemu_io
        self.dir = args.workdir
        self.key = os.path.join(self.dir, "sec0.key")
        with open(self.key, "w") as f:
            f.write(SECRET)
        self.failures = 0
        self.kills = 0
        self.injections = 0


def secret_args(ctx):
    return ["--object", "secret,id=sec0,file=%s" % ctx.key]


def image_opts(kind, path, extra=""):
    """--image-opts string for @path, optionally through blkdebug."""
    opts = "driver=qcow2"
    if kind == "luks":
        opts += ",encrypt.key-secret=sec0"
    if extra:
        return opts + ",file.driver=blkdebug,file.image.filename=%s,%s" % (
            path, extra)
    return opts + ",file.filename=%s" % path


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, **kw)


def workload(rng, ncmds):
    """A list of (qemu-io command, effect); effect is (sector, count,
    value) for data changes, "flush", or None."""
    nsect = IMAGE_SIZE // SECTOR
    cmds = []
    pattern = 0
    for _ in range(ncmds):
        r = rng.random()
        if r < 0.15:
            cmds.append(("flush", "flush"))
            continue
        count = rng.choice([1, 3, 8, 8, 16, 24, 128, 256])
        start = rng.randrange(0, nsect - count)
        if r < 0.25:
            # Whole 4 KiB clusters, so the range reads as zeros after.
            start -= start % 8
            count = max(8, count - count % 8)
            cmds.append(("discard %d %d" % (start * SECTOR, count * SECTOR),
                         (start, count, 0)))
        elif r < 0.33:
            cmds.append(("write -z %d %d" % (start * SECTOR, count * SECTOR),
                         (start, count, 0)))
        else:
            pattern = pattern % 255 + 1
            cmds.append(("write -P %d %d %d" % (pattern, start * SECTOR,
                                                count * SECTOR),
                         (start, count, pattern)))
    return cmds


def drive(ctx, kind, img, cmds, writeback, extra="", kill_after=None):
    """Run @cmds in one interactive qemu-io (-t writeback, or 7.2's
    default writethrough).  Returns (outputs, killed): the outputs of the
    commands that completed, in order, and stderr."""
    argv = [ctx.ours] + (["-t", "writeback"] if writeback else []) + (
        secret_args(ctx) if kind == "luks" else []) + [
        "--image-opts", image_opts(kind, img, extra)]
    text = "".join(c + "\n" for c, _ in cmds).encode()
    errlog = tempfile.TemporaryFile(dir=ctx.dir)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=errlog)
    killed = False
    if kill_after is None:
        out, _ = p.communicate(text)
    else:
        try:
            p.stdin.write(text)
            p.stdin.close()
        except BrokenPipeError:
            pass            # it died early: the output will tell
        time.sleep(kill_after)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed = True
        out = p.stdout.read()
        p.wait()
    errlog.seek(0)
    err = errlog.read().decode(errors="replace")
    errlog.close()
    if "Sanitizer" in err or "runtime error" in err:
        print("FAIL %s: sanitizer report:\n%s" % (kind, err))
        ctx.failures += 1
    parts = out.split(PROMPT)
    if not killed and len(parts) < 2:
        print("FAIL %s: qemu-io did not run: %s" % (
            kind, out.decode(errors="replace")))
        ctx.failures += 1
    # parts[0] precedes the first prompt; parts[i] is the output of
    # command i - 1, complete because prompt i followed it.
    done = [part.decode(errors="replace") for part in parts[1:-1]]
    return done, killed, err


def expected_state(cmds, outputs, crashed_writes, writeback):
    """Per sector: (durable value, set of values that may also be there).
    In writethrough mode every acknowledged write flushes everything
    before it too."""
    nsect = IMAGE_SIZE // SECTOR
    durable = [0] * nsect
    current = [0] * nsect
    pending = {}
    seen_flush = None
    for i, (cmd, effect) in enumerate(cmds):
        if i > len(outputs):
            break       # never started (len(outputs) may be in progress)
        completed = i < len(outputs)
        ok = completed and "failed" not in outputs[i]
        if effect == "flush":
            if ok and flush_counts(cmds, outputs, i, crashed_writes):
                durable = list(current)
                pending = {}
                seen_flush = i
            continue
        if effect is None:
            continue
        start, count, value = effect
        for s in range(start, start + count):
            pending.setdefault(s, set()).add(value)
            pending[s].add(current[s])
            current[s] = value
        if ok and not writeback and cmd.startswith("write"):
            durable = list(current)
            pending = {}
    return durable, pending, seen_flush


def flush_counts(cmds, outputs, i, crashed_writes):
    """Whether flush @i certainly completed.  Without an injected crash a
    prompt after it proves it; with one, qemu-io prints nothing for a
    failed flush, so only a later data write that succeeded proves it."""
    if not crashed_writes:
        return True
    for j in range(i + 1, len(outputs)):
        if cmds[j][0].startswith("write -P") and "failed" not in outputs[j]:
            return True
    return False


def verify(ctx, kind, img, cmds, outputs, crashed_writes, writeback,
           label):
    """Judge the crashed image with the reference tools; count failures."""
    problems = []
    if kind == "lazy":
        r = run([ctx.ref_io, "-c", "quit", img])
        if r.returncode != 0:
            problems.append("reference qemu-io could not repair: %s" %
                            r.stdout.decode(errors="replace"))
    check = [ctx.ref_img, "check"] + (
        secret_args(ctx) + ["--image-opts", image_opts(kind, img)]
        if kind == "luks" else ["-f", "qcow2", img])
    r = run(check)
    if r.returncode not in (0, 3):
        problems.append("reference qemu-img check (exit %d):\n%s" %
                        (r.returncode, r.stdout.decode(errors="replace")))
    with open(img, "rb") as f:
        f.seek(72)
        incompat = int.from_bytes(f.read(8), "big")
    if incompat & 2:
        problems.append("corrupt bit set")
    if not problems:
        problems += check_data(ctx, kind, img, cmds, outputs, crashed_writes,
                               writeback)
    if problems:
        ctx.failures += 1
        keep = os.path.join(ctx.dir, "fail-%d-%s.qcow2" % (ctx.failures,
                                                         label))
        shutil.copy(img, keep)
        print("FAIL %s %s (kept %s)" % (kind, label, keep))
        for p in problems:
            print("  " + p.rstrip().replace("\n", "\n  "))
        print("  cache mode: " + ("writeback" if writeback
                                  else "writethrough"))
        print("  commands: " + "; ".join(c for c, _ in cmds))
        print("  completed: %d" % len(outputs))


def check_data(ctx, kind, img, cmds, outputs, crashed_writes, writeback):
    raw = img + ".raw"
    src = (secret_args(ctx) + ["--image-opts", image_opts(kind, img)]
           if kind == "luks" else ["-f", "qcow2", img])
    r = run([ctx.ref_img, "convert"] + src + ["-O", "raw", raw])
    if r.returncode != 0:
        return ["reference qemu-img convert failed: %s" %
                r.stdout.decode(errors="replace")]
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    durable, pending, _ = expected_state(cmds, outputs, crashed_writes,
                                         writeback)
    bad = []
    for s in range(IMAGE_SIZE // SECTOR):
        sector = data[s * SECTOR:(s + 1) * SECTOR]
        value = sector[0]
        uniform = sector.count(value) == SECTOR
        allowed = pending.get(s, {durable[s]})
        if not uniform or value not in allowed:
            bad.append("sector %d (offset %d): %s, expected %s" % (
                s, s * SECTOR, "0x%02x" % value if uniform else "mixed",
                " or ".join("0x%02x" % v for v in sorted(allowed))))
            if len(bad) >= 5:
                break
    return bad


def make_base(ctx, kind):
    base = os.path.join(ctx.dir, "base-%s.qcow2" % kind)
    for _ in range(50):
        r = run([ctx.ref_img, "create", "-f", "qcow2"] + secret_args(ctx) +
                ["-o", KINDS[kind], base, str(IMAGE_SIZE)])
        # The reference's PBKDF2 benchmark sometimes fails like this.
        if b"Unable to get accurate CPU usage" not in r.stdout:
            break
    if r.returncode != 0:
        sys.exit("crash-test: cannot create the %s image: %s" %
                 (kind, r.stdout.decode(errors="replace")))
    return base


def kill_loop(ctx, kind, base, rng, kills, ncmds):
    img = os.path.join(ctx.dir, "kill-%s.qcow2" % kind)
    cmds = workload(rng, ncmds)
    shutil.copy(base, img)
    start = time.monotonic()
    drive(ctx, kind, img, cmds, True)
    duration = time.monotonic() - start
    done = 0
    # Runs that end before their kill do not count: try again.
    for i in range(3 * kills):
        if done >= kills:
            break
        cmds = workload(rng, ncmds)
        writeback = i % 2 == 0
        shutil.copy(base, img)
        outputs, killed, _ = drive(ctx, kind, img, cmds, writeback,
                                kill_after=rng.uniform(0, duration))
        done += killed
        verify(ctx, kind, img, cmds, outputs, False, writeback,
               "kill%d" % i)
    ctx.kills += done
    return done


def sweep_loop(ctx, kind, base, rng, ncmds):
    img = os.path.join(ctx.dir, "sweep-%s.qcow2" % kind)
    cmds = workload(rng, ncmds)
    n = 0
    while True:
        shutil.copy(base, img)
        outputs, _, err = drive(ctx, kind, img, cmds, True,
                                extra="file.x-crash-after-writes=%d" % n)
        # Until the crash point lies beyond the write-back at close too.
        crashed = (len(outputs) < len(cmds) or "Failed" in err or
                   any("failed" in o for o in outputs))
        if not crashed:
            break
        ctx.injections += 1
        verify(ctx, kind, img, cmds, outputs, True, True, "sweep%d" % n)
        n += 1
        if n > 10000:
            print("FAIL %s: the workload never completes" % kind)
            ctx.failures += 1
            break
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu-io", required=True)
    ap.add_argument("--ref-qemu-img", default="/usr/bin/qemu-img")
    ap.add_argument("--ref-qemu-io", default="/usr/bin/qemu-io")
    ap.add_argument("--kills", type=int, default=40, help="per kind")
    ap.add_argument("--kill-cmds", type=int, default=40)
    ap.add_argument("--sweep-cmds", type=int, default=14)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--kinds", default="plain,lazy,luks")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    for tool in (args.ref_qemu_img, args.ref_qemu_io):
        if not os.access(tool, os.X_OK):
            if os.environ.get("CI") == "true":
                sys.exit("crash-test: missing reference tool %s" % tool)
            print("crash-test: skipped, missing reference tool %s" % tool)
            sys.exit(77)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    own_dir = args.workdir is None
    if own_dir:
        # Page cache survives SIGKILL, so a tmpfs loses nothing a disk
        # would keep, and its fdatasync (writethrough) costs nothing.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        args.workdir = tempfile.mkdtemp(prefix="crash-test.", dir=shm)
    ctx = Ctx(args)
    print("crash-test: seed %d, scratch %s" % (seed, ctx.dir))
    for kind in args.kinds.split(","):
        rng = random.Random("%d-%s" % (seed, kind))
        base = make_base(ctx, kind)
        t0 = time.monotonic()
        kills = kill_loop(ctx, kind, base, rng, args.kills, args.kill_cmds)
        sweeps = sweep_loop(ctx, kind, base, rng, args.sweep_cmds)
        print("%s: %d kills, %d injected crashes (%.1f s)" % (
            kind, kills, sweeps, time.monotonic() - t0))
        sys.stdout.flush()
    print("crash: %d kills, %d injected crashes, %d failures" % (
        ctx.kills, ctx.injections, ctx.failures))
    if own_dir and ctx.failures == 0:
        shutil.rmtree(ctx.dir)
    sys.exit(1 if ctx.failures else 0)


if __name__ == "__main__":
    main()
