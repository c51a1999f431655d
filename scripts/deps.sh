#!/usr/bin/env bash
# Installs the Debian packages needed to build, test and run Coalition.
#
# Idempotent and quick when everything is present: packages are checked with
# dpkg-query first, and apt-get (update + install) runs only for missing ones.
# Uses sudo when not root. Debian/Ubuntu only; nothing outside apt is installed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libpq-dev postgresql postgresql-contrib
  libssl-dev libgtest-dev libgmock-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev prometheus-cpp-dev
  python3-grpcio python3-grpc-tools python3-pkg-resources
)

phase "deps: checking ${#PACKAGES[@]} Debian packages"
command -v dpkg-query >/dev/null || die "dpkg-query not found: this script supports Debian/Ubuntu only"

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if (( ${#missing[@]} == 0 )); then
  note "all present"
  exit 0
fi

note "missing: ${missing[*]}"
sudo_cmd=()
if (( EUID != 0 )); then
  command -v sudo >/dev/null ||
    die "not root and sudo is unavailable; as root run: apt-get install -y --no-install-recommends ${missing[*]}"
  sudo_cmd=(sudo)
fi

phase "deps: apt-get update"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update

phase "deps: apt-get install ${missing[*]}"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
note "done"
