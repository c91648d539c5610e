#!/usr/bin/env bash
# Local Kubernetes control plane for e2e tests: etcd + kube-apiserver +
# kube-controller-manager + kube-scheduler + kwok (3 fake nodes), no kubelet.
#
#   e2e/cluster.sh up <stateDir>    start; last stdout line: KUBECONFIG=<stateDir>/kubeconfig
#   e2e/cluster.sh down <stateDir>  stop the recorded processes, remove <stateDir>
#
# FERRY_E2E_REAL_NODE=1 (with `up`) adds one real node, ferry-real-node: kubelet +
# kube-proxy (built from the control plane's Kubernetes version, `e2e/tools.sh
# node`), Debian's containerd 1.6 + runc, CNI bridge/host-local/portmap, CoreDNS
# as cluster DNS (Service kube-system/kube-dns), a pause image packed by
# e2e/realnode/pack-image.ts (src/image), and local PersistentVolumes (default StorageClass
# ferry-local, WaitForFirstConsumer). Root and cgroup v1 only. The node lives in
# its own network namespace and slot, so several worlds coexist; `down` removes
# what it made (see e2e/realnode/node.sh). Such a world also gets: the apiserver
# on 0.0.0.0 advertising the node-facing address (pods reach the `kubernetes`
# Service), a per-slot Service CIDR, kubelet client certs for logs/exec. Its last
# stdout lines add FERRY_E2E_NODE=<node name>. KWOK's 3 fake nodes stay.
#
# <stateDir> gets: kubeconfig (admin), pids ("name pid" lines), ports, pki/,
# logs/<component>.log, etcd/. Several clusters can run at once (distinct
# stateDirs): every listening port is a free loopback port reserved under
# ${TMPDIR:-/tmp}/ferry-e2e-ports/.
# Environment: FERRY_E2E_TIMEOUT (seconds, default 180) bounds each wait in `up`.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORTS_DIR="${TMPDIR:-/tmp}/ferry-e2e-ports"
TIMEOUT="${FERRY_E2E_TIMEOUT:-180}"
MARKER=.ferry-e2e-cluster
NODES=(kwok-node-0 kwok-node-1 kwok-node-2)
SERVICE_CIDR=10.96.0.0/16
KUBE_SVC_IP=10.96.0.1
REAL_NODE="${FERRY_E2E_REAL_NODE:-0}"
[[ "$REAL_NODE" == 0 || "$REAL_NODE" == 1 ]] || { echo "[cluster] ERROR: FERRY_E2E_REAL_NODE must be 0 or 1, got '$REAL_NODE'" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=realnode/node.sh
source "$E2E_DIR/realnode/node.sh"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { echo "usage: $0 up|down <stateDir>" >&2; exit 2; }

# --- free-port reservation (shared with registry.sh by convention) ----------
# A port is taken when something listens on it or another stateDir reserved it
# (mkdir is atomic). Reservations of stateDirs that no longer exist are stale.
reserve_port() { # reserve_port <stateDir> -> prints port
  local owner="$1" p i
  mkdir -p "$PORTS_DIR"
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000)) # below the kernel's ephemeral range
    if (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
    if ! mkdir "$PORTS_DIR/$p" 2>/dev/null; then
      local prev; prev="$(cat "$PORTS_DIR/$p/owner" 2>/dev/null || true)"
      [[ -n "$prev" && ! -d "$prev" ]] || continue
      rm -rf "${PORTS_DIR:?}/$p"
      mkdir "$PORTS_DIR/$p" 2>/dev/null || continue
    fi
    printf '%s\n' "$owner" >"$PORTS_DIR/$p/owner"
    printf '%s\n' "$p"
    return 0
  done
  die "no free port found"
}

release_ports() { # release_ports <stateDir>
  local owner="$1" d
  for d in "$PORTS_DIR"/*/; do
    [[ -f "$d/owner" && "$(cat "$d/owner")" == "$owner" ]] && rm -rf "$d"
  done
  return 0
}

# --- process handling -------------------------------------------------------
declare -a STARTED_NAMES=() STARTED_PIDS=()

start_component() { # start_component <name> <cmd...>
  local name="$1"; shift
  # setsid: own session, so the caller's Ctrl-C or exit does not reach it;
  # stdio detached so a caller capturing our stdout is not kept waiting.
  setsid "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
  local pid=$!
  STARTED_NAMES+=("$name"); STARTED_PIDS+=("$pid")
  printf '%s %s\n' "$name" "$pid" >>"$STATE/pids"
  log "started $name (pid $pid)"
}

fail_component() { # fail_component <name> <message>
  local f="$STATE/logs/$1.log"
  {
    printf '[cluster] ERROR: %s\n' "$2"
    if [[ -f "$f" ]]; then printf -- '----- last lines of %s -----\n' "$f"; tail -n 40 "$f"; printf -- '-----\n'; fi
  } >&2
  exit 1
}

check_alive() {
  local i
  for i in "${!STARTED_PIDS[@]}"; do
    kill -0 "${STARTED_PIDS[$i]}" 2>/dev/null ||
      fail_component "${STARTED_NAMES[$i]}" "${STARTED_NAMES[$i]} exited during start-up"
  done
}

# wait_until <description> <component whose log to show on timeout> <cmd...>
wait_until() {
  local what="$1" comp="$2"; shift 2
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    check_alive
    ((SECONDS < deadline)) || fail_component "$comp" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.5
  done
}

# stop_pids (stdin: "name pid" lines): TERM, wait up to 15s, then KILL. A pid
# is only signalled while its command line still names the expected binary.
stop_pids() {
  local -a pids=()
  local name pid
  while read -r name pid; do
    [[ -n "${pid:-}" ]] || continue
    if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 15)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]} == 0)) && return 0
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  log "killing (SIGKILL) ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# stop_all (stdin: "name pid" lines): clients first, then kube-apiserver, then
# etcd; an apiserver whose etcd is already gone takes much longer to exit.
stop_all() {
  local lines; lines="$(cat)"
  { grep -v -E '^(kube-apiserver|etcd) ' <<<"$lines" || true; } | stop_pids
  { grep -E '^kube-apiserver ' <<<"$lines" || true; } | stop_pids
  { grep -E '^etcd ' <<<"$lines" || true; } | stop_pids
}

UP_OK=0
on_up_exit() {
  local rc=$? i
  if ((UP_OK == 0)); then
    log "start-up failed; stopping started components (logs kept in $STATE/logs)"
    node_down
    for i in "${!STARTED_PIDS[@]}"; do echo "${STARTED_NAMES[$i]} ${STARTED_PIDS[$i]}"; done | stop_all
    rm -f "$STATE/pids"
    release_ports "$STATE"
  fi
  exit "$rc"
}

# --- certificates -----------------------------------------------------------
# sign_cert <name> <subject> <extendedKeyUsage> [subjectAltName]
sign_cert() {
  local name="$1" subj="$2" eku="$3" san="${4:-}" pki="$STATE/pki"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" \
    -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -z "$san" ]] || echo "subjectAltName=$san"
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

gen_pki() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 -sha256 \
    -subj "/CN=ferry-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  local node_san=""
  [[ "$REAL_NODE" == 0 ]] || node_san="IP:$HOST_IP,"
  sign_cert apiserver "/CN=kube-apiserver" serverAuth \
    "${node_san}IP:127.0.0.1,IP:$KUBE_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign_cert admin "/O=system:masters/CN=ferry-e2e-admin" clientAuth
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign_cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  [[ "$REAL_NODE" == 0 ]] || node_pki
}

write_kubeconfig() { # write_kubeconfig <file> <cert name>
  local pki="$STATE/pki"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ferry-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: ferry-e2e
  context:
    cluster: ferry-e2e
    user: $2
current-context: ferry-e2e
EOF
  chmod 600 "$1"
}

nodes_manifest() {
  local n
  for n in "${NODES[@]}"; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node-role.kubernetes.io/agent: ""
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
EOF
  done
}

# --- up / down --------------------------------------------------------------
cmd_up() {
  mkdir -p "$STATE"
  [[ -z "$(ls -A "$STATE")" ]] || die "$STATE is not empty (run '$0 down $STATE' first)"
  touch "$STATE/$MARKER"
  mkdir -p "$STATE/logs" "$STATE/kwok"
  mkdir -m 700 "$STATE/etcd"
  local t0=$SECONDS

  # On any failure or interrupt: stop what we started and free the ports; the
  # logs stay in $STATE for inspection ('down' removes them).
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM

  local bin; bin="$("$E2E_DIR/tools.sh")" || die "e2e/tools.sh failed"
  [[ -x "$bin/kube-apiserver" ]] || die "tools.sh returned '$bin' without kube-apiserver"
  local nbin="" apiserver_net=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none)
  if [[ "$REAL_NODE" == 1 ]]; then
    nbin="$("$E2E_DIR/tools.sh" node)" || die "e2e/tools.sh node failed"
    node_reserve
    # The node (kubelet, kube-proxy, CoreDNS, pods) reaches the apiserver at the
    # host end of its veth; the `kubernetes` Service gets that address as endpoint.
    # shellcheck disable=SC2054 # the commas belong to one flag's value
    apiserver_net=(--bind-address=0.0.0.0 --advertise-address="$HOST_IP"
      --kubelet-preferred-address-types=InternalIP,Hostname
      --kubelet-client-certificate="$STATE/pki/apiserver-kubelet-client.crt"
      --kubelet-client-key="$STATE/pki/apiserver-kubelet-client.key")
  fi

  ETCD_PORT="$(reserve_port "$STATE")"
  ETCD_PEER_PORT="$(reserve_port "$STATE")"
  APISERVER_PORT="$(reserve_port "$STATE")"
  printf 'etcd %s\netcd-peer %s\napiserver %s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" >"$STATE/ports"

  gen_pki
  local pki="$STATE/pki"
  write_kubeconfig "$STATE/kubeconfig" admin
  write_kubeconfig "$STATE/kube-controller-manager.kubeconfig" kube-controller-manager
  write_kubeconfig "$STATE/kube-scheduler.kubeconfig" kube-scheduler
  log "certificates and kubeconfigs written ($((SECONDS - t0))s)"

  start_component etcd "$bin/etcd" \
    --name=etcd --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="etcd=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true --log-level=warn
  wait_until "etcd /health" etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  # --endpoint-reconciler-type=none (KWOK-only worlds): the 'kubernetes' Endpoints
  # would carry 127.0.0.1, which Endpoints validation rejects (loopback) every 10s.
  start_component kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    "${apiserver_net[@]}" --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --allow-privileged=true --profiling=false
  wait_until "kube-apiserver /readyz" kube-apiserver \
    curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz"
  log "kube-apiserver ready ($((SECONDS - t0))s)"

  # --secure-port=0: no HTTPS endpoint at all, so no port to allocate.
  start_component kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
    --secure-port=0 --leader-elect=false --controllers='*' \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
  start_component kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig="$STATE/kube-scheduler.kubeconfig" \
    --secure-port=0 --leader-elect=false --profiling=false
  # KWOK_WORKDIR: keep kwok from also loading ~/.kwok/kwok.yaml. kwok manages
  # only the nodes annotated as fake (the real node is kubelet's).
  start_component kwok env KWOK_WORKDIR="$STATE/kwok" "$bin/kwok" \
    --kubeconfig="$STATE/kubeconfig" --config="$E2E_DIR/kwok/stages.yaml" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --node-lease-duration-seconds=40 --cidr=10.244.0.0/16

  local kubectl=("$bin/kubectl" --kubeconfig="$STATE/kubeconfig")
  nodes_manifest >"$STATE/nodes.yaml"
  wait_until "node creation" kube-apiserver "${kubectl[@]}" apply -f "$STATE/nodes.yaml"
  wait_until "ServiceAccount default/default" kube-controller-manager \
    "${kubectl[@]}" -n default get serviceaccount default
  wait_until "nodes Ready" kwok \
    "${kubectl[@]}" wait --for=condition=Ready node --all --timeout=2s
  # The not-ready taint added at node creation is removed by the node
  # lifecycle controller once kwok reports Ready.
  # shellcheck disable=SC2016 # expanded by the inner bash
  wait_until "node taints cleared" kube-controller-manager \
    bash -c '[[ -z "$("$@" get nodes -o jsonpath="{.items[*].spec.taints}")" ]]' _ "${kubectl[@]}"
  check_alive
  [[ "$REAL_NODE" == 0 ]] || node_up "$nbin" "${kubectl[@]}"
  check_alive

  UP_OK=1
  trap - EXIT INT TERM
  log "cluster up in $((SECONDS - t0))s: https://127.0.0.1:$APISERVER_PORT"
  printf 'FERRY_E2E_BIN=%s\n' "$bin"
  [[ "$REAL_NODE" == 0 ]] || printf 'FERRY_E2E_NODE=%s\n' "$NODE_NAME"
  printf 'KUBECONFIG=%s\n' "$STATE/kubeconfig"
}

cmd_down() {
  if [[ ! -e "$STATE" ]]; then log "$STATE does not exist; nothing to do"; return 0; fi
  [[ -f "$STATE/$MARKER" ]] || die "$STATE was not created by $0 up; refusing to remove it"
  node_down
  if [[ -f "$STATE/pids" ]]; then
    stop_all <"$STATE/pids"
  fi
  release_ports "$STATE"
  # --one-file-system: never follow a mount that survived into another filesystem.
  rm -rf --one-file-system -- "$STATE"
  log "down: $STATE removed"
}

[[ $# -eq 2 ]] || usage
mkdir -p "$(dirname -- "$2")"
STATE="$(cd "$(dirname -- "$2")" && pwd)/$(basename -- "$2")"
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  *) usage ;;
esac
