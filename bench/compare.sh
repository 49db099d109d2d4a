#!/usr/bin/env bash
# Side-by-side benchmark: Autodiff (Autodiff.Benchmarks compare) vs PyTorch (reference BLAS and OpenBLAS) vs TorchSharp.
# Writes BENCHMARKS.md at the repository root and bench/results/last.jsonl. NOT part of CI; needs root for apt-get and
# update-alternatives (it switches libblas.so.3 to OpenBLAS for one pass and restores the previous selection on exit,
# with --set, so the alternatives are left in manual mode pointing at what was selected before).
# Usage: bench/compare.sh [--budget SECONDS] [--epochs N] [--cnn-epochs N] [--only GROUP,...] [--ours-only] [--no-refblas] [--help]
#   --budget   seconds of timed repeats per workload (default 1.0)
#   --epochs   timed Fashion-MNIST epochs per model and implementation (default 3; median reported)
#   --cnn-epochs timed epochs of the issue's CNN (default 1; not with the reference BLAS, where one epoch takes far too long)
#   --only     run only these workload groups, in ours and in every peer (training, cnn, matmul, tape, elementwise, copy,
#              ops, block, sequence, epochs, autoencoder; elementwise is ours only); BENCHMARKS.md then holds only them
#   --ours-only  skip the peers (no apt-get, no BLAS switching): for quick iterations on our side and the report
#   --no-refblas skip PyTorch on the reference BLAS (never the best peer; its epochs take longest)
# Ours (Autodiff.Benchmarks/Compare/OursBench.cs, run as `dotnet Autodiff.Benchmarks.dll compare ...`) runs at
# Threading.NumThreads 1 and 2, like the peers' torch.set_num_threads 1 and 2.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
command_line="bench/compare.sh $*"
budget=1.0
epochs=3
cnn_epochs=1
ours_only=0
refblas=1
only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --cnn-epochs) cnn_epochs="$2"; shift 2 ;;
    --ours-only) ours_only=1; shift ;;
    --no-refblas) refblas=0; shift ;;
    --only) only=(--only "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "bench/compare.sh: unknown option '$1' (expected --budget S, --epochs N, --cnn-epochs N, --only GROUP,..., --ours-only, --no-refblas or --help)" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
mkdir -p bench/results
res=bench/results/last.jsonl
meta=bench/results/meta.env
: > "$res"
log() { echo "== $*" >&2; }

run_peers() {
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

  if [[ $refblas == 1 ]]; then
    log "PyTorch, reference BLAS"
    update-alternatives --set $blas_alt "$ref_blas" >&2
    for t in 1 2; do
      OPENBLAS_NUM_THREADS=1 "$py" bench/peers/torch_bench.py --threads $t --budget "$budget" --epochs "$epochs" --impl pytorch-refblas "${only[@]}" | tee -a "$res"
    done
  fi

  log "PyTorch, OpenBLAS (OPENBLAS_NUM_THREADS=1; torch threads 1 and 2)"
  if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then apt-get install -y libopenblas0-pthread >&2; fi
  update-alternatives --set $blas_alt /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >&2
  for t in 1 2; do
    OPENBLAS_NUM_THREADS=1 "$py" bench/peers/torch_bench.py --threads $t --budget "$budget" --epochs "$epochs" --cnn-epochs "$cnn_epochs" --impl pytorch-openblas "${only[@]}" | tee -a "$res"
  done
  log "PyTorch, OpenBLAS with 2 BLAS threads (torch threads 1): the BLAS's own best two-core setting"
  OPENBLAS_NUM_THREADS=2 "$py" bench/peers/torch_bench.py --threads 1 --budget "$budget" --epochs "$epochs" --cnn-epochs "$cnn_epochs" --impl pytorch-openblas-blas2 "${only[@]}" | tee -a "$res"
  restore_blas
  trap - EXIT

  log "TorchSharp"
  for t in 1 2; do
    bench/peers/TorchSharpBench/run.sh --threads $t --budget "$budget" --epochs "$epochs" --cnn-epochs "$cnn_epochs" "${only[@]}" | tee -a "$res" || \
      echo '{"impl":"torchsharp","error":"TorchSharp run failed (see stderr of bench/compare.sh)"}' | tee -a "$res"
  done
}

log "ours (Autodiff, Release; threads 1 and 2)"
dotnet build Autodiff.Benchmarks/Autodiff.Benchmarks.csproj -c Release -nologo -v q >&2
for t in 1 2; do
  dotnet Autodiff.Benchmarks/bin/Release/net10.0/Autodiff.Benchmarks.dll compare --threads $t --budget "$budget" --epochs "$epochs" --cnn-epochs "$cnn_epochs" "${only[@]}" | tee -a "$res"
done

export DEBIAN_FRONTEND=noninteractive
if [[ $ours_only == 1 ]]; then
  log "--ours-only: skipping the peers"
else
  run_peers
  if [[ ${#only[@]} == 0 || ",${only[1]}," == *,sequence,* ]]; then
    log "same start, same batches: PyTorch and ours train GPT, LSTM and GRU 100 steps (bench/peers/seq_same_start.py)"
    same_dir="$(mktemp -d)"
    for model in gpt lstm gru; do
      if out="$("$py" bench/peers/seq_same_start.py $model "$same_dir/$model" --json)"; then
        grep -v '^{' <<<"$out" >&2 || true
        grep '^{' <<<"$out" | tee -a "$res" || true
      else
        echo "{\"impl\":\"same-start\",\"error\":\"seq_same_start.py $model failed (see stderr of bench/compare.sh)\"}" | tee -a "$res"
      fi
    done
    rm -rf "$same_dir"
  fi
fi

{
  echo "CPU=$(lscpu | grep 'Model name' | sed 's/Model name: *//')"
  echo "NPROC=$(nproc)"
  echo "DATE=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "DOTNET=$(dotnet --version)"
  echo "TORCH=$("$py" -c 'import torch; print(torch.__version__)')"
  echo "TORCHSHARP=0.107.0"
  echo "BUDGET=$budget"
  echo "EPOCHS=$epochs"
  echo "CNN_EPOCHS=$cnn_epochs"
  echo "OURS_ONLY=$ours_only"
  echo "ONLY=${only[1]:-}"
  echo "COMMAND=$command_line"
} > "$meta"
"$py" bench/make_report.py "$res" "$meta" BENCHMARKS.md
log "wrote BENCHMARKS.md"
