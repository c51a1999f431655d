#!/bin/sh
# Installs the partner SDK from build dir $1 into a temporary prefix and builds
# and runs the consumer project in $2 against it, with CMake's find_package and
# with pkg-config.
set -eu
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" --component partner_sdk

test -f "$work/prefix/include/coalition/sdk/partner_client.h"
test -f "$work/prefix/include/coalition/v1/partner_service.grpc.pb.h"

generator=
if command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi
# shellcheck disable=SC2086
cmake -S "$source_dir" -B "$work/build" $generator -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix"
cmake --build "$work/build"
"$work/build/consumer"

# pkg-config: the same program, for build systems without CMake.
pc_file=$(find "$work/prefix" -name coalition-partner-sdk.pc | head -n 1)
test -n "$pc_file"
PKG_CONFIG_PATH="$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir coalition-partner-sdk)
test -f "$libdir/libcoalition_partner_sdk.a"
# shellcheck disable=SC2046
${CXX:-c++} -o "$work/consumer-pc" "$source_dir/main.cc" \
  $(pkg-config --cflags coalition-partner-sdk) \
  $(pkg-config --libs coalition-partner-sdk)
"$work/consumer-pc"
echo "sdk consumer: OK"
