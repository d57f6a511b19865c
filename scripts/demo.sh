#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine it installs the
# packages, builds minik8s, starts a local cluster (store, apiserver,
# controller-manager, scheduler, and a runtime + kubelet per node) with
# `minik8s up`, applies examples/nginx-deployment.yaml with mkctl and shows the
# Deployment -> ReplicaSet -> Pod pipeline at work, then the same cluster
# through the real kubectl (when it is installed) over the Kubernetes HTTP
# API. Then it stops the cluster.
#
#   scripts/demo.sh            run the demo, stop the cluster at the end
#   scripts/demo.sh --keep     leave the cluster running (stop: build/bin/minik8s down --data-dir DIR)
# Environment: MINIK8S_PORT_BASE (default 6440) picks the ports.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
[ "${1:-}" = "--keep" ] && keep=1

scripts/install-deps.sh
scripts/build.sh --programs

port_base=${MINIK8S_PORT_BASE:-6440}
work=$(mktemp -d /tmp/minik8s-demo-XXXXXX)
data="$work/cluster"
export MINIK8S_CONFIG="$work/config"
kubeconfig="$work/kubeconfig"
bin="$PWD/build/bin"

"$bin/minik8s" up --data-dir "$data" --nodes 3 --port-base "$port_base" \
  --mkctl-config "$MINIK8S_CONFIG" --kubeconfig "$kubeconfig" >"$work/up.log" 2>&1 &
up_pid=$!
stop_cluster() {
  if kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
}
if [ "$keep" = 0 ]; then trap stop_cluster EXIT; fi

for _ in $(seq 600); do
  grep -q "cluster is ready" "$work/up.log" 2>/dev/null && break
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "minik8s up failed:"; cat "$work/up.log"; exit 1
  fi
  sleep 0.2
done
grep -q "cluster is ready" "$work/up.log" || { echo "cluster did not become ready:"; cat "$work/up.log"; exit 1; }
cat "$work/up.log"
echo

run() { echo "\$ mkctl $*"; "$bin/mkctl" "$@"; echo; }
run get nodes
run apply -f examples/nginx-deployment.yaml
run rollout status deployment/nginx-deployment --timeout=120s
run get deploy,rs,pods -o wide
run get events --sort-by=.lastTimestamp
run trace deployment/nginx-deployment

if command -v kubectl >/dev/null 2>&1; then
  kube() { echo "\$ kubectl $*"; KUBECONFIG="$kubeconfig" kubectl "$@"; echo; }
  echo "The same cluster through the real kubectl (KUBECONFIG=$kubeconfig):"
  echo
  kube version
  kube get deploy,rs,pods -o wide
  kube scale deployment/nginx-deployment --replicas=5
  kube rollout status deployment/nginx-deployment --timeout=120s
  kube get pods -l app=nginx
else
  echo "(kubectl is not installed: skipping the kubectl part)"
fi

if [ "$keep" = 1 ]; then
  echo "The cluster keeps running (logs in $data/logs). Use it with:"
  echo "  export MINIK8S_CONFIG=$MINIK8S_CONFIG; $bin/mkctl get pods"
  echo "  export KUBECONFIG=$kubeconfig; kubectl get pods"
  echo "Stop it with: $bin/minik8s down --data-dir $data"
fi
