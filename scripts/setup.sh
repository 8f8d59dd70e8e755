#!/usr/bin/env bash
# Installs what `locate` needs on a fresh Debian machine, builds it, and fetches the default model.
#   bash scripts/setup.sh            # native libraries + release build + model
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libgsl-dev libpng-dev zlib1g-dev pkg-config python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# python3-pip is only needed when no pip is usable already.
if python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build -c release --product locate 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
test -x .build/release/locate || { echo "setup: the release build failed" >&2; exit 1; }
.build/release/locate model fetch
