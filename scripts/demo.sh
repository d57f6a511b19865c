#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, starts
# minik8s-store on a free loopback port and shows the real etcdctl using it.
# Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh

port=${MINIK8S_DEMO_PORT:-23790}
data=$(mktemp -d /tmp/minik8s-demo-XXXXXX)
log="$data/store.log"
build/bin/minik8s-store --name demo --data-dir "$data/store" \
  --listen-client-urls "http://127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

export ETCDCTL_API=3
ctl() { echo "\$ etcdctl $*"; etcdctl --endpoints="127.0.0.1:$port" "$@"; echo; }
for _ in $(seq 100); do
  etcdctl --endpoints="127.0.0.1:$port" endpoint health >/dev/null 2>&1 && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; exit 1; fi
  sleep 0.1
done

echo "minik8s-store is serving on 127.0.0.1:$port (data in $data/store)"
echo
ctl endpoint status -w table
ctl put /registry/pods/default/nginx '{"kind":"Pod"}'
ctl put /registry/pods/default/redis '{"kind":"Pod"}'
ctl get /registry/pods/ --prefix --keys-only
ctl get /registry/pods/default/nginx -w json
ctl watch /registry/pods/ --prefix --rev=1 &
watch_pid=$!
sleep 1
kill $watch_pid 2>/dev/null || true; wait $watch_pid 2>/dev/null || true
echo
lease=$(etcdctl --endpoints="127.0.0.1:$port" lease grant 60 | awk '{print $2}')
ctl put --lease="$lease" /registry/leases/kube-node-lease/node-1 held
ctl lease timetolive "$lease" --keys
ctl del /registry/pods/ --prefix
ctl endpoint health
