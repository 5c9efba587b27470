#!/usr/bin/env bash
# Cross-compiles the probe for linux-arm64 as Native AOT on an x64 Debian/Ubuntu host (commune boxes are often ARM).
# usage: deploy/probe/publish-arm64.sh [--install-toolchain] [OUT_DIR] [extra dotnet publish arguments...]
#   --install-toolchain  (root) first installs clang, lld, the aarch64 binutils and the arm64 sysroot (libc6-dev:arm64,
#                        zlib1g-dev:arm64) from Debian: about 150 MB, so it is not part of deploy/local/install-deps.sh.
# On an ARM host nothing of this is needed: dotnet publish probes/HaTangSo.Telemetry.Probe -c Release -r linux-arm64 -p:PublishAot=true
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [[ ${1:-} == --install-toolchain ]]; then
  shift
  dpkg --add-architecture arm64
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev:arm64 zlib1g-dev:arm64 file
fi
out=${1:-out/hts-probe-arm64}
(($#)) && shift
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v aarch64-linux-gnu-objcopy >/dev/null || missing+=(binutils-aarch64-linux-gnu)
[[ -e /usr/lib/aarch64-linux-gnu/crt1.o ]] || missing+=(libc6-dev:arm64)
[[ -e /usr/lib/aarch64-linux-gnu/libz.so ]] || missing+=(zlib1g-dev:arm64)
if ((${#missing[@]})); then
  echo "The arm64 cross toolchain is missing: ${missing[*]} (run with --install-toolchain as root)." >&2
  exit 3
fi
# The Native AOT compiler for the target (runtime.linux-arm64.Microsoft.DotNet.ILCompiler) comes from NuGet; clang links
# with --target=aarch64-linux-gnu against the multiarch sysroot in /usr/lib/aarch64-linux-gnu.
dotnet publish probes/HaTangSo.Telemetry.Probe -c Release -r linux-arm64 -p:PublishAot=true -o "$out" -nologo "$@"
if command -v file >/dev/null; then file "$out/hts-probe" "$out/libe_sqlite3.so"; fi
