#!/usr/bin/env bash
# Where a training step spends its time: samples 20 s of the compare benchmark's training-step loop with perf (cpu-clock, so it
# works without hardware counters) and prints the hottest .NET methods. Not part of CI; needs linux-perf.
# Usage: bench/profile.sh [784-100-10_b100_sgd | 784-256-256-10_b128_adam | cnn_b128_adam] [threads]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workload="${1:-784-100-10_b100_sgd}"
threads="${2:-1}"
command -v perf >/dev/null || { echo "bench/profile.sh: needs perf (sudo apt-get install linux-perf)" >&2; exit 2; }
dotnet build "$repo/Autodiff.Benchmarks/Autodiff.Benchmarks.csproj" -c Release -nologo -v q >&2
data="$(mktemp -d)/perf.data"
# W^X off and a perf map on, so perf can name jitted methods.
DOTNET_EnableWriteXorExecute=0 DOTNET_PerfMapEnabled=1 perf record -q -e cpu-clock -F 999 -o "$data" \
  dotnet "$repo/Autodiff.Benchmarks/bin/Release/net10.0/Autodiff.Benchmarks.dll" compare --profile "$workload" --threads "$threads" >&2
perf report -i "$data" --no-children --sort symbol --percent-limit 0.7 2>/dev/null | grep '%' \
  | sed -E 's/\[(Optimized|OptimizedTier1|OptimizedTier1OSR|Instrumented|InstrumentedTier|QuickJitted)\]//; s/ +- +- *$//; s/valuetype |class |\[System\.[A-Za-z.]+\]|\[Autodiff\.[A-Za-z]+\] //g' \
  | cut -c1-160
