#!/bin/sh
# ctest slurm_sweep: a 200-point sweep run locally with --jobs 2 and through a real single-node
# Slurm cluster (scripts/slurm-localhost.sh) must give byte-identical results.csv and
# results.jsonl. Needs root (to install slurm-wlm and munge from Debian when missing and to run
# slurmd); exits 77 (ctest SKIP_RETURN_CODE) with the reason where Slurm cannot be started.
#
#   tests/slurm_sweep_test.sh path/to/xpusim
set -eu

xpusim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
skip() {
  echo "SKIP slurm_sweep: $*"
  exit 77
}

[ "$(id -u)" = 0 ] || skip "not root: a single-node Slurm (slurmd) needs root"

# One cluster at a time on this machine (fixed ports).
exec 9>/tmp/xpusim-slurm-test.lock
flock 9

"$root/scripts/slurm-localhost.sh" install ||
  skip "could not install slurm-wlm and munge from Debian (apt-get failed)"

work=$(mktemp -d /tmp/xpusim-slurm-test.XXXXXX)
cluster="$work/cluster"
cleanup() {
  "$root/scripts/slurm-localhost.sh" stop "$cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if ! "$root/scripts/slurm-localhost.sh" start "$cluster" >"$work/start.log" 2>&1; then
  cat "$work/start.log"
  tail -n 20 "$cluster"/log/*.log 2>/dev/null || true
  skip "could not start munged, slurmctld and slurmd on localhost (logs above)"
fi
export SLURM_CONF="$cluster/slurm.conf"

# 5 chips x 10 SM counts x 4 small workloads = 200 cheap points.
cat >"$work/sweep.yaml" <<YAML
chips: [h100_sxm, h20, a100_sxm_80gb, h200_sxm, h800_sxm]
parameters:
  compute.units: {from: 16, to: 52, step: 4}
workloads:
  - {gemm: 256x256x256}
  - {gemm: 128x512x256, dtype: fp16}
  - {gemm: 8x1024x1024}
  - {stream: triad, elements: 65536}
YAML

start=$(date +%s)
"$xpusim" sweep "$work/sweep.yaml" --out "$work/local" --jobs 2
middle=$(date +%s)
"$xpusim" sweep "$work/sweep.yaml" --out "$work/slurm" --backend slurm --slurm-tasks 8 --jobs 1
end=$(date +%s)
echo "local --jobs 2: $((middle - start)) s; slurm (8 array tasks): $((end - middle)) s"

points=$(wc -l <"$work/local/results.jsonl")
[ "$points" -eq 200 ] || {
  echo "FAIL: local sweep wrote $points records, expected 200"
  exit 1
}
cmp "$work/local/results.jsonl" "$work/slurm/results.jsonl"
cmp "$work/local/results.csv" "$work/slurm/results.csv"
ok=$(grep -c '"status":"ok"' "$work/slurm/results.jsonl")
echo "PASS: 200 points ($ok ok), local --jobs 2 and Slurm results identical"
