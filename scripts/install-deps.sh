#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking minik8s
# needs. Idempotent: packages already present are skipped without touching apt.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libspdlog-dev libcli11-dev libyaml-cpp-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  etcd-server etcd-client
  libssl-dev libboost-dev procps iproute2 curl
  # tcmalloc, the daemons' allocator (CMakeLists.txt: MINIK8S_MALLOC).
  libgoogle-perftools-dev
  # HTTP/2: minik8s-store and minik8s-apiserver serve gRPC on nghttp2, and the components call the apiserver through it (common/rpc/).
  libnghttp2-dev
  # clang's sanitizer runtimes; libclang-rt-14-dev also holds libFuzzer's
  # (libclang_rt.fuzzer*.a, what -fsanitize=fuzzer links: fuzz/).
  clang libclang-rt-14-dev clang-format
  python3-kubernetes
  # An outside check of the ServiceAccount key set and tokens
  # (tests/security/serviceaccount_token_e2e_test.cc).
  python3-cryptography
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian's etcd-server package may start a system etcd on 2379; minik8s never
# needs it and it would hold the default port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  $SUDO systemctl stop etcd || true
  $SUDO systemctl disable etcd || true
fi
