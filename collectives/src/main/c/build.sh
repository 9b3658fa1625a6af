#!/bin/sh
# Builds the native kernels (weighted_sum.c: the combine; nesterov.c: Nesterov's local step;
# rank_order_sum.c: the sum of the large allreduces) into the module's classes during the Maven build:
#   build.sh <java.home> <output dir>
# Without a C compiler, or off Linux x86-64, it builds nothing and says so: the engine then combines
# with Combiner's Java loops (the same results bit for bit, somewhat slower).
# -ffp-contract=off: no fused multiply-add, so every operation rounds as Java's double arithmetic does.
set -u
java_home=$1
out_dir=$2
here=$(dirname "$0")
cc=${CC:-cc}
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "[bluefog] native kernels: not Linux x86-64, using the Java combine"
  exit 0
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[bluefog] native kernels: no C compiler ($cc), using the Java combine"
  exit 0
fi
mkdir -p "$out_dir"
if "$cc" -O3 -ffp-contract=off -fPIC -shared -std=c11 -Wall -Werror \
    -I"$java_home/include" -I"$java_home/include/linux" \
    "$here/weighted_sum.c" "$here/nesterov.c" "$here/rank_order_sum.c" -o "$out_dir/libbluefog_kernels.so"; then
  echo "[bluefog] native kernels: built $out_dir/libbluefog_kernels.so"
else
  echo "[bluefog] native kernels: compilation failed, using the Java combine" >&2
  rm -f "$out_dir/libbluefog_kernels.so"
fi
exit 0
