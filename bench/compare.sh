#!/usr/bin/env bash
# Side-by-side benchmark: Autodiff (bench/OursBench) vs PyTorch (reference BLAS and OpenBLAS) vs TorchSharp.
# Writes BENCHMARKS.md at the repository root and bench/results/last.jsonl. NOT part of CI; needs root for apt-get and
# update-alternatives (it switches libblas.so.3 to OpenBLAS for one pass and restores the previous selection on exit,
# with --set, so the alternatives are left in manual mode pointing at what was selected before).
# Usage: bench/compare.sh [--budget SECONDS]   (seconds of timed repeats per workload, default 1.0)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
budget=1.0
[[ "${1:-}" == "--budget" ]] && budget="$2"
command_line="bench/compare.sh $*"
py=/usr/bin/python3
mkdir -p bench/results
res=bench/results/last.jsonl
meta=bench/results/meta.env
: > "$res"
log() { echo "== $*" >&2; }

export DEBIAN_FRONTEND=noninteractive
if ! "$py" -c "import torch" 2>/dev/null; then
  log "installing python3-torch"
  apt-get install -y python3-torch >&2
fi

blas_alt=libblas.so.3-x86_64-linux-gnu
lapack_alt=liblapack.so.3-x86_64-linux-gnu
ref_blas=/usr/lib/x86_64-linux-gnu/blas/libblas.so.3
prev_blas="$(update-alternatives --query $blas_alt 2>/dev/null | sed -n 's/^Value: //p')"
prev_lapack="$(update-alternatives --query $lapack_alt 2>/dev/null | sed -n 's/^Value: //p')"
restore_blas() {
  log "restoring BLAS/LAPACK selection"
  [[ -n "$prev_blas" ]] && update-alternatives --set $blas_alt "$prev_blas" >&2 || true
  [[ -n "$prev_lapack" ]] && update-alternatives --set $lapack_alt "$prev_lapack" >&2 || true
}
trap restore_blas EXIT

log "ours (Autodiff, Release)"
dotnet build bench/OursBench/OursBench.csproj -c Release -nologo -v q >&2
dotnet bench/OursBench/bin/Release/net10.0/OursBench.dll --budget "$budget" | tee -a "$res"

log "PyTorch, reference BLAS"
update-alternatives --set $blas_alt "$ref_blas" >&2
for t in 1 2; do
  OPENBLAS_NUM_THREADS=1 "$py" bench/peers/torch_bench.py --threads $t --budget "$budget" --impl pytorch-refblas | tee -a "$res"
done

log "PyTorch, OpenBLAS (OPENBLAS_NUM_THREADS=1; torch threads 1 and 2)"
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then apt-get install -y libopenblas0-pthread >&2; fi
update-alternatives --set $blas_alt /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >&2
for t in 1 2; do
  OPENBLAS_NUM_THREADS=1 "$py" bench/peers/torch_bench.py --threads $t --budget "$budget" --impl pytorch-openblas | tee -a "$res"
done
restore_blas
trap - EXIT

log "TorchSharp"
for t in 1 2; do
  bench/peers/TorchSharpBench/run.sh --threads $t --budget "$budget" | tee -a "$res" || \
    echo '{"impl":"torchsharp","error":"TorchSharp run failed (see stderr of bench/compare.sh)"}' | tee -a "$res"
done

{
  echo "CPU=$(lscpu | grep 'Model name' | sed 's/Model name: *//')"
  echo "NPROC=$(nproc)"
  echo "DATE=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "DOTNET=$(dotnet --version)"
  echo "TORCH=$("$py" -c 'import torch; print(torch.__version__)')"
  echo "TORCHSHARP=0.107.0"
  echo "BUDGET=$budget"
  echo "COMMAND=$command_line"
} > "$meta"
"$py" bench/make_report.py "$res" "$meta" BENCHMARKS.md
log "wrote BENCHMARKS.md"
