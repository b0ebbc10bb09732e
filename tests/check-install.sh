#!/usr/bin/env bash
# check-install.sh: `meson install` of a build puts the tools and their man
# pages under the prefix, and the installed tools run.
#
# Usage: tests/check-install.sh BUILD
# Installs into a temporary DESTDIR (removed afterwards); prints one line
# per check and exits non-zero if any failed.
set -u

build=${1:?usage: check-install.sh BUILD}
dest=$(mktemp -d "${TMPDIR:-/tmp}/check-install.XXXXXX") || exit 1
trap 'rm -rf "$dest"' EXIT
fail=0

if ! DESTDIR=$dest meson install -C "$build" --no-rebuild --quiet > "$dest.log" 2>&1; then
    cat "$dest.log"
    echo "FAIL meson install"
    rm -f "$dest.log"
    exit 1
fi
rm -f "$dest.log"
prefix=$(meson introspect "$build" --buildoptions |
         python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
mandir=$(meson introspect "$build" --buildoptions |
         python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="mandir"))')
case "$mandir" in /*) ;; *) mandir=$prefix/$mandir ;; esac

for tool in qemu-img qemu-io; do
    bin=$dest$prefix/bin/$tool
    if [ -x "$bin" ] && "$bin" --version | grep -q "^$tool version "; then
        echo "PASS $prefix/bin/$tool runs"
    else
        echo "FAIL $prefix/bin/$tool missing or does not run"
        fail=1
    fi
    man=$dest$mandir/man1/$tool.1
    if [ -s "$man" ] && grep -q '^\.TH' "$man"; then
        echo "PASS $mandir/man1/$tool.1"
    elif command -v rst2man > /dev/null || command -v rst2man.py > /dev/null; then
        echo "FAIL $mandir/man1/$tool.1 missing"
        fail=1
    else
        echo "SKIP $mandir/man1/$tool.1 (rst2man not installed)"
    fi
done
exit $fail
