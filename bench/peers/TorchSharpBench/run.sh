#!/usr/bin/env bash
# Build and run the TorchSharp peer benchmark. Passes its arguments (--threads N --budget S) to the program.
# Workaround (this project only): TorchSharp-cpu 0.107's libLibTorchSharp.so requires GLIBCXX_3.4.32, which Debian 12's
# libstdc++ lacks; weaken_glibcxx_need.py marks that one requirement WEAK in the copies under bin/ (see that file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/bin/Release/net10.0"
dotnet build "$here/TorchSharpBench.csproj" -c Release -nologo -v q >&2
for so in "$out/runtimes/linux-x64/native/libLibTorchSharp.so" "$out/cpu/libLibTorchSharp.so"; do
  [[ -f "$so" ]] && /usr/bin/python3 "$here/weaken_glibcxx_need.py" "$so" >&2
done
exec dotnet "$out/TorchSharpBench.dll" "$@"
