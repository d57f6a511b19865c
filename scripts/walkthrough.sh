#!/usr/bin/env bash
# The walkthrough of docs/walkthrough.md (and docs/walkthrough.zh.md), run for
# real: it starts a 3-node cluster with `minik8s up`, then drives it with mkctl
# through the two flows of the tutorial minik8s grew from, printing every
# command (prefixed "$ ") followed by its real output:
#
#   1. the Pod flow:        apply a Pod -> scheduled -> containers started -> Running
#   2. the Deployment flow: apply -> Deployment -> ReplicaSet -> Pods -> Running
#   3. scaling to 5 and back to 3
#   4. a rolling update to a new image
#   5. a rollback
#   6. a node dies: NotReady, its pods evicted and recreated elsewhere; then it
#      comes back
#   7. the same with the real kubectl (when installed)
#   8. reach the app: a Deployment exposed as a NodePort Service, curl through
#      its cluster IP and its node port (each node's minik8s-proxy), scaled
#      while its EndpointSlice is watched
#
# The cluster is stopped at the end (also on failure or Ctrl-C).
#
#   scripts/walkthrough.sh           run it (builds first if the binaries are missing)
#   scripts/walkthrough.sh --keep    leave the cluster running at the end
#
# Environment: MINIK8S_PORT_BASE (default 6540, so it can run beside
# scripts/demo.sh's 6440), BUILD_DIR (default build), WALKTHROUGH_TIMEOUT
# (seconds any one wait may take, default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "walkthrough: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

build_dir=${BUILD_DIR:-build}
bin="$repo/$build_dir/bin"
port_base=${MINIK8S_PORT_BASE:-6540}
timeout_s=${WALKTHROUGH_TIMEOUT:-120}

for b in minik8s mkctl minik8s-store minik8s-apiserver minik8s-controller-manager \
         minik8s-scheduler minik8s-kubelet minik8s-runtime minik8s-proxy; do
  if [ ! -x "$bin/$b" ]; then
    echo "walkthrough: $bin/$b is missing; building (BUILD_DIR=$build_dir scripts/build.sh --programs)" >&2
    BUILD_DIR="$build_dir" scripts/build.sh --programs >&2
    break
  fi
done

work=$(mktemp -d /tmp/mk8s-wt-XXXX)  # short: its paths appear in the output
data="$work/cluster"
export MINIK8S_CONFIG="$work/config"
unset MINIK8S_SERVER

fail() {
  echo >&2
  echo "walkthrough: FAILED: $*" >&2
  echo "walkthrough: cluster logs are in $data/logs" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# The cluster. The node lifecycle timings are shortened so that step 6 takes
# seconds instead of minutes (Kubernetes' defaults: Lease renewed every 10s,
# a node is NotReady after 40s of silence, its pods are evicted 300s later):
# kubelets renew their Lease every 2s, the controller-manager checks nodes
# every 1s and marks a node NotReady after 10s of silence, and the apiserver
# gives every new pod 10s not-ready/unreachable tolerations, so its pods are
# evicted 10s later. The fake runtime takes 2s to pull an image it does not
# have yet, as a real registry would, so the pipeline's steps are spread out in
# time.
up_pid=""
started_pids=()
stop_cluster() {
  local rc=$?
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
    if [ "$keep" = 1 ] && [ "$rc" = 0 ]; then
      return
    fi
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  # The logs stay for a failed run; a successful one leaves nothing behind.
  if [ "$rc" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

kubeconfig="$work/kubeconfig"
up_flags=(--nodes 3 --port-base "$port_base" --data-dir "$data" --mkctl-config "$MINIK8S_CONFIG"
          --kubeconfig "$kubeconfig"
          --runtime-arg=--image-pull-delay=2s
          --kubelet-arg=--node-lease-renew-interval=2s
          --controller-manager-arg=--node-monitor-period=1s
          --controller-manager-arg=--node-monitor-grace-period=10s
          --apiserver-arg=--default-not-ready-toleration-seconds=10
          --apiserver-arg=--default-unreachable-toleration-seconds=10)
"$bin/minik8s" up "${up_flags[@]}" >"$work/up.log" 2>&1 &
up_pid=$!

started=$(date +%s)
for _ in $(seq $((timeout_s * 5))); do
  grep -q "cluster is ready" "$work/up.log" 2>/dev/null && break
  if ! kill -0 "$up_pid" 2>/dev/null; then
    cat "$work/up.log" >&2
    up_pid=""
    fail "minik8s up exited before the cluster was ready (is port $port_base.. in use? set MINIK8S_PORT_BASE)"
  fi
  sleep 0.2
done
grep -q "cluster is ready" "$work/up.log" || { cat "$work/up.log" >&2; fail "the cluster was not ready after ${timeout_s}s"; }

# ---------------------------------------------------------------------------
# Helpers.

# mkctl, bounded in time (no command may hang the walkthrough).
mk() {
  local rc=0
  timeout --kill-after=5 "$((timeout_s + 10))" "$bin/mkctl" "$@" 2>&1 || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "walkthrough: mkctl $* did not finish within $((timeout_s + 10))s" >&2
  fi
  return "$rc"
}

# Prints the command as a user would type it, then runs it; a failure stops
# the walkthrough.
run() {
  echo "\$ mkctl $*"
  mk "$@" || fail "mkctl $* exited with an error"
  echo
}

# Same, for a shell pipeline around mkctl (shown with "mkctl" as the command).
run_sh() {
  echo "\$ $1"
  local cmd=${1//mkctl/mk}
  eval "$cmd" || fail "$1 exited with an error"
  echo
}

section() {
  echo
  echo "==> $*"
  echo
}

note() { echo "# $*"; }

# wait_until DESCRIPTION FUNCTION [ARGS...]: polls FUNCTION until it succeeds.
wait_until() {
  local what=$1; shift
  local deadline=$(( $(date +%s) + timeout_s ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail "timed out after ${timeout_s}s waiting for: $what"
    fi
    sleep 0.5
  done
}

pod_status() { mk get pod "$1" --no-headers 2>/dev/null | awk '{print $3}'; }
pod_is_running() { [ "$(pod_status "$1")" = Running ]; }
node_status() { mk get node "$1" --no-headers 2>/dev/null | awk '{print $2}'; }
node_is() { [ "$(node_status "$1")" = "$2" ]; }
deploy_pods() { mk get pods -l app=nginx --no-headers -o wide 2>/dev/null; }
pod_count_is() { [ "$(deploy_pods | grep -c .)" = "$1" ]; }
deploy_ready_is() {
  [ "$(mk get deploy nginx-deployment --no-headers 2>/dev/null | awk '{print $2}')" = "$1" ]
}
# Pods of the Deployment that run (not terminating) elsewhere than on node $1.
running_off_node() { deploy_pods | awk -v n="$1" '$3 == "Running" && $7 != n' | grep -c . || true; }
replaced_off_node() { [ "$(running_off_node "$1")" = 3 ] && deploy_ready_is 3/3; }
no_pods_on_node() { ! deploy_pods | awk -v n="$1" '$7 == n' | grep -q .; }

# ---------------------------------------------------------------------------
echo "Walkthrough on a fresh minik8s cluster ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo
echo "\$ minik8s up ${up_flags[*]:0:8} \\"
echo "    ${up_flags[*]:8:2} \\"
echo "    ${up_flags[*]:10:2} \\"
echo "    ${up_flags[*]:12} &"
cat "$work/up.log"
echo
t0=$(date +%s)

run get nodes -o wide

# ---------------------------------------------------------------------------
section "1. The Pod flow: apply -> apiserver -> scheduler -> kubelet -> runtime -> Running"

# A watch opened before the apply shows each write to the Pod as it happens.
watch_out="$work/watch.out"
"$bin/mkctl" get pods -o wide --watch >"$watch_out" 2>&1 &
watch_pid=$!
started_pids+=("$watch_pid")
sleep 1
run apply -f examples/pod.yaml
wait_until "pod nginx Running" pod_is_running nginx
sleep 1
kill -TERM "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
note "a watch started in a second terminal before the apply, stopped once the pod ran:"
echo "\$ mkctl get pods -o wide --watch"
cat "$watch_out"
echo

run get pod nginx -o wide
run describe pod nginx
run get events --field-selector involvedObject.name=nginx
run trace pod/nginx
run delete pod nginx

# ---------------------------------------------------------------------------
section "2. The Deployment flow: apply -> Deployment -> ReplicaSet -> Pods -> scheduled -> Running"

run apply -f examples/nginx-deployment.yaml
run rollout status deployment/nginx-deployment --timeout=${timeout_s}s
run get deploy,rs,pods -o wide
run get events --sort-by=.lastTimestamp
run trace deployment/nginx-deployment
run describe deployment nginx-deployment
run describe rs -l app=nginx

# ---------------------------------------------------------------------------
section "3. Scale to 5 replicas and back to 3"

run scale deployment/nginx-deployment --replicas=5
run rollout status deployment/nginx-deployment --timeout=${timeout_s}s
run get rs,pods -o wide
run scale deployment/nginx-deployment --replicas=3
wait_until "3 pods of nginx-deployment" pod_count_is 3
run get rs,pods -o wide
run get events --field-selector involvedObject.kind=ReplicaSet --sort-by=.lastTimestamp

# ---------------------------------------------------------------------------
section "4. Rolling update to nginx:1.25"

run set image deployment/nginx-deployment nginx=nginx:1.25
run rollout status deployment/nginx-deployment --timeout=${timeout_s}s
wait_until "3 pods of nginx-deployment" pod_count_is 3
run get deploy,rs,pods -o wide
run rollout history deployment/nginx-deployment
run get events --field-selector involvedObject.kind=Deployment --sort-by=.lastTimestamp
run trace deployment/nginx-deployment

# ---------------------------------------------------------------------------
section "5. Roll back to the previous revision"

run rollout undo deployment/nginx-deployment
run rollout status deployment/nginx-deployment --timeout=${timeout_s}s
wait_until "3 pods of nginx-deployment" pod_count_is 3
run get deploy,rs,pods -o wide
run rollout history deployment/nginx-deployment

# ---------------------------------------------------------------------------
section "6. A node dies: NotReady, its pods evicted and recreated on the other nodes"

victim=$(deploy_pods | awk '$3 == "Running" {print $7; exit}')
[ -n "$victim" ] || fail "no running pod of nginx-deployment to pick a node from"
victim_pods=$(deploy_pods | awk -v n="$victim" '$7 == n {print $1}')
state="$data/minik8s.state"
pid_of() { awk -F'\t' -v n="$1" '$1 == "process" && $2 == n {print $4}' "$state"; }
kubelet_pid=$(pid_of "kubelet-$victim")
runtime_pid=$(pid_of "runtime-$victim")
[ -n "$kubelet_pid" ] && [ -n "$runtime_pid" ] || fail "no kubelet/runtime of $victim in $state"
# Remember how they were started, to bring the node back at the end.
mapfile -d '' kubelet_cmd <"/proc/$kubelet_pid/cmdline"
mapfile -d '' runtime_cmd <"/proc/$runtime_pid/cmdline"

run get pods -o wide
note "$victim runs $(echo $victim_pods | wc -w) pod(s) of the Deployment; its kubelet and runtime die (pids from minik8s status):"
echo "\$ minik8s status --data-dir $data | grep -e COMPONENT -e $victim"
"$bin/minik8s" status --data-dir "$data" | grep -e COMPONENT -e "-$victim " || true
echo "\$ kill -9 $kubelet_pid $runtime_pid"
kill -9 "$kubelet_pid" "$runtime_pid"
killed_at=$(date +%s)
echo

wait_until "$victim NotReady" node_is "$victim" NotReady
note "$(( $(date +%s) - killed_at ))s after the kill:"
run get nodes
run describe node "$victim"

wait_until "the pods of $victim replaced on the other nodes" replaced_off_node "$victim"
note "$(( $(date +%s) - killed_at ))s after the kill:"
run get deploy,pods -o wide
run get events --sort-by=.lastTimestamp --field-selector type!=Normal
run_sh "mkctl get events --sort-by=.lastTimestamp | tail -n 12"
for p in $victim_pods; do
  run trace "pod/$p"
done

note "$victim comes back: its runtime and kubelet start again"
for i in "${!runtime_cmd[@]}"; do
  # A runtime killed with -9 leaves its socket file behind.
  [ "${runtime_cmd[$i]}" = --listen ] && rm -f "${runtime_cmd[$((i + 1))]#unix://}"
done
"${runtime_cmd[@]}" >"$work/runtime-$victim.restarted.log" 2>&1 &
started_pids+=("$!")
sleep 1
"${kubelet_cmd[@]}" >"$work/kubelet-$victim.restarted.log" 2>&1 &
started_pids+=("$!")
wait_until "$victim Ready again" node_is "$victim" Ready
wait_until "the evicted pods gone" no_pods_on_node "$victim"
run get nodes
run get pods -o wide

section "7. The same flow with the real kubectl"

if command -v kubectl >/dev/null 2>&1; then
  kube() { timeout --kill-after=5 "$((timeout_s + 10))" env KUBECONFIG="$kubeconfig" kubectl "$@" 2>&1; }
  kube_run() { echo "\$ kubectl $*"; kube "$@" || fail "kubectl $* exited with an error"; echo; }
  note "export KUBECONFIG=$kubeconfig"
  kube_run version
  kube_run get nodes
  kube delete deployment nginx-deployment >/dev/null
  echo "\$ kubectl apply -f examples/nginx-deployment.yaml -v=6"
  kube apply -f examples/nginx-deployment.yaml -v=6 |
    grep -E "round_trippers|created" | sed -E 's/^I[0-9]+ [0-9:.]+ +[0-9]+ round_trippers.go:[0-9]+\] //'
  echo
  kube_run rollout status deployment/nginx-deployment --timeout=${timeout_s}s
  api=$(awk '/server:/ {print $2; exit}' "$kubeconfig")
  # The apiserver's port is TLS-only: curl shows the cluster CA and the
  # admin's client certificate, as kubectl does from the kubeconfig.
  pki="$data/pki"
  echo "\$ curl -s --cacert \$PKI/ca.crt --cert \$PKI/admin.crt --key \$PKI/admin.key \\"
  echo "    \"$api/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dnginx&timeoutSeconds=2\" | cut -c1-150"
  curl -s --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "$api/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dnginx&timeoutSeconds=2" | cut -c1-150
  echo
  sed -e 's/^  replicas: 3/  replicas: 3\n  foo: 1/' -e 's/^  name: nginx-deployment/  name: bad/' \
    examples/nginx-deployment.yaml > "$work/bad.yaml"
  echo "\$ kubectl apply -f bad.yaml        # a manifest with \`spec.foo: 1\`"
  kube apply -f "$work/bad.yaml" | sed "s|$work/||" && fail "kubectl accepted an unknown field"
  echo
else
  note "kubectl is not installed: skipped"
fi

section "8. Reach the app: a Service, its cluster IP and its node port"

# The answering pod, from the page the simulated nginx serves.
title() { grep -o '<title>[^<]*</title>' | sed -e 's/<title>//' -e 's/<\/title>//'; }
svc_answers() { curl -s --max-time 2 "http://$1:$2/" | grep -q '<title>'; }
answering_pods() {
  local ip=$1 port=$2 n=$3 seen
  seen=$(for _ in $(seq 20); do curl -s --max-time 2 "http://$ip:$port/" | title; done | sort -u | grep -c .)
  [ "$seen" = "$n" ]
}

run create deployment web --image=nginx:1.25.3 --replicas=2 --port=8080
run expose deployment web --port=8080 --type=NodePort
run rollout status deployment/web --timeout=${timeout_s}s
run get svc web -o wide
run get endpointslices -l kubernetes.io/service-name=web -o wide
cluster_ip=$(mk get svc web -o 'jsonpath={.spec.clusterIP}')
node_port=$(mk get svc web -o 'jsonpath={.spec.ports[0].nodePort}')
wait_until "the Service answering on $cluster_ip:8080" svc_answers "$cluster_ip" 8080
wait_until "both pods answering on $cluster_ip:8080" answering_pods "$cluster_ip" 8080 2
note "each request is a new connection: the kernel hands it to one of the three nodes' proxies (one SO_REUSEPORT group), which picks its next endpoint"
echo "\$ curl -si http://$cluster_ip:8080/ | head -n 4"
curl -si "http://$cluster_ip:8080/" | head -n 4 || true
echo
echo "\$ for i in 1 2 3 4; do curl -s http://$cluster_ip:8080/ | grep -o '<title>.*</title>'; done"
for _ in 1 2 3 4; do curl -s "http://$cluster_ip:8080/" | grep -o '<title>.*</title>'; done
echo
echo "\$ curl -s http://127.0.0.1:$node_port/ | grep -o '<title>.*</title>'     # the node port"
curl -s "http://127.0.0.1:$node_port/" | grep -o '<title>.*</title>'
echo

# Scale up while a watch on the Service's EndpointSlice shows each change.
slice_watch="$work/slices.out"
"$bin/mkctl" get endpointslices -l kubernetes.io/service-name=web --watch >"$slice_watch" 2>&1 &
slice_watch_pid=$!
started_pids+=("$slice_watch_pid")
sleep 1
run scale deployment/web --replicas=4
run rollout status deployment/web --timeout=${timeout_s}s
wait_until "four pods answering on $cluster_ip:8080" answering_pods "$cluster_ip" 8080 4
sleep 1
kill -TERM "$slice_watch_pid" 2>/dev/null || true
wait "$slice_watch_pid" 2>/dev/null || true
note "a watch started in a second terminal before the scale, stopped once four pods answered:"
echo "\$ mkctl get endpointslices -l kubernetes.io/service-name=web --watch"
cat "$slice_watch"
echo
echo "\$ for i in \$(seq 8); do curl -s http://$cluster_ip:8080/ | grep -o '<title>.*</title>'; done | sort | uniq -c"
for _ in $(seq 8); do curl -s "http://$cluster_ip:8080/" | grep -o '<title>.*</title>'; done | sort | uniq -c
echo
run describe svc web
run get pods -l app=web -o wide

run scale deployment/web --replicas=0
no_answer() { ! svc_answers "$cluster_ip" 8080; }
wait_until "no endpoint left on $cluster_ip:8080" no_answer
note "no endpoint: the proxies close the Service's socket, a connection is refused at once"
echo "\$ curl -sS http://$cluster_ip:8080/"
curl -sS --max-time 2 "http://$cluster_ip:8080/" 2>&1 || true
echo
run delete svc web
run delete deployment web

echo "Walkthrough finished in $(( $(date +%s) - started ))s (cluster start included; steps $(( $(date +%s) - t0 ))s)."
if [ "$keep" = 1 ]; then
  echo "The cluster keeps running (logs in $data/logs). Use it with:"
  echo "  export MINIK8S_CONFIG=$MINIK8S_CONFIG; $bin/mkctl get pods"
  echo "Stop it with: $bin/minik8s down --data-dir $data"
  echo "(the restarted runtime and kubelet of $victim are stopped now; the node goes NotReady again)"
fi
