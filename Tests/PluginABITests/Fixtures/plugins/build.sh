#!/bin/sh
# Builds every ABI fixture plugin (one .c file each) into OUTDIR as lib<name>.so, against the
# FROZEN 1.0 headers in ../abi-1.0/include, never the live Sources/PluginABI ones.
#
#   usage: build.sh OUTDIR          (CC overrides the compiler, EXTRA_CFLAGS adds flags,
#                                    e.g. EXTRA_CFLAGS=-Werror)
#
# For checking the fixtures by hand; the Swift tests build them the same way without a shell.
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
include="$here/../abi-1.0/include"
out=$1
cc=${CC:-cc}
mkdir -p "$out"

for src in "$here"/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086  # EXTRA_CFLAGS is a list of flags on purpose
    "$cc" -std=c11 -Wall -Wextra -pedantic -fPIC -shared -fvisibility=hidden \
        -I"$include" ${EXTRA_CFLAGS:-} -o "$out/lib$name.so" "$src"
    echo "built $out/lib$name.so"
done
