# shellcheck shell=bash
# The real node of e2e/cluster.sh (FERRY_E2E_REAL_NODE=1): kubelet + containerd +
# runc + CNI + kube-proxy + CoreDNS + local PersistentVolumes. Sourced by
# cluster.sh, which provides STATE, log, die, reserve_port, sign_cert,
# wait_until, fail_component and stop_pids.
#
# Isolation. Each real-node world takes a slot n (1..250) under
# /run/ferry-e2e-nodes/ (reserved atomically, owned by its state dir) and
# derives every host-visible name from it:
#   network namespace ferry-rn-n   the pod bridge, kube-proxy's and CNI's iptables
#                                  rules, CoreDNS and the pods' routes live there, so
#                                  two worlds never share an iptables chain
#   veth frn-n-h (host, 172.30.n.1/30) <-> eth0 in the namespace (172.30.n.2/30)
#   pod CIDR 10.200.n.0/24 (bridge frn-n-br), Service CIDR 10.201.n.0/24
#   host routes to both CIDRs via 172.30.n.2 (so the host reaches pods and ClusterIPs)
#   cgroup parent /ferry-rn-n (kubelet's cgroupRoot) in every cgroup v1 hierarchy
# kubelet and containerd run in the host's namespaces (containerd pulls from the
# registries on 127.0.0.1; kubelet reaches the apiserver there); CNI plugins run
# inside ferry-rn-n through small wrappers; kube-proxy and CoreDNS run inside it.
# Everything else (containerd root/state, runc root, kubelet root dir and pod logs,
# CNI config and IPAM, certificates, PV directories) is under <stateDir>/node.
#
# Host-wide side effects that cannot be avoided: kubelet sets the sysctls
# vm.overcommit_memory, kernel.panic and kernel.panic_on_oops, and creates
# /var/lib/kubelet/device-plugins and symlinks in /var/log/containers;
# containerd puts shim sockets in /run/containerd/s; libcni caches results in
# /var/lib/cni; `ip netns` uses /run/netns. The first live world records the
# sysctls and which of these paths did not exist; the last one down restores the
# sysctls and removes the paths it recorded. Each world removes its own symlinks
# and cache files.

NODE_NAME=ferry-real-node
# Host-wide (not under TMPDIR): the slots name host-wide things (namespaces, links).
NODES_ROOT=/run/ferry-e2e-nodes
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
NODE_FIXED_PATHS=(/var/lib/kubelet /var/log/containers /var/log/pods /run/containerd /var/lib/cni /run/netns)
NODE_PVS=12

# shellcheck disable=SC2034 # SERVICE_CIDR and KUBE_SVC_IP are cluster.sh's (apiserver, certificates)
node_vars() { # node_vars <slot>: every name and address derived from the slot
  NODE_SLOT="$1"
  ND="$STATE/node"
  NETNS="ferry-rn-$NODE_SLOT"
  HOST_IF="frn-$NODE_SLOT-h"
  BRIDGE="frn-$NODE_SLOT-br"
  HOST_IP="172.30.$NODE_SLOT.1"
  NS_IP="172.30.$NODE_SLOT.2"
  TRANSIT_CIDR="172.30.$NODE_SLOT.0/30"
  POD_CIDR="10.200.$NODE_SLOT.0/24"
  SERVICE_CIDR="10.201.$NODE_SLOT.0/24"
  KUBE_SVC_IP="10.201.$NODE_SLOT.1"
  DNS_IP="10.201.$NODE_SLOT.10"
  CGROUP_PARENT="ferry-rn-$NODE_SLOT"
  CNI_NET="ferry-rn-$NODE_SLOT"
  CTR_SOCK="$ND/containerd/containerd.sock"
}

node_live_slots() { # the slots (other than $1) whose owning state dir still exists
  local d owner
  for d in "$NODES_ROOT"/slot-*/; do
    [[ -f "$d/owner" ]] || continue
    owner="$(cat "$d/owner")"
    [[ "$(basename "$d")" == "slot-$1" ]] && continue
    [[ -d "$owner" ]] && basename "$d"
  done
  return 0
}

# node_reserve: takes a free slot for $STATE (under the lock), records the host's
# sysctls and missing fixed paths when no other world is live, and sets the vars.
node_reserve() {
  [[ "$(id -u)" == 0 ]] || die "FERRY_E2E_REAL_NODE=1 needs root (kubelet, containerd, network namespaces)"
  [[ -d /sys/fs/cgroup/memory && ! -f /sys/fs/cgroup/cgroup.controllers ]] ||
    die "FERRY_E2E_REAL_NODE=1 supports cgroup v1 (or hybrid) hosts only; /sys/fs/cgroup is cgroup v2"
  local c
  for c in containerd containerd-shim-runc-v2 runc ctr nsenter ip iptables findmnt flock; do
    command -v "$c" >/dev/null || die "$c is not installed (run e2e/install-deps.sh)"
  done
  for c in bridge host-local portmap; do
    [[ -x "/usr/lib/cni/$c" ]] || die "/usr/lib/cni/$c is missing (run e2e/install-deps.sh: containernetworking-plugins)"
  done
  mkdir -p "$NODES_ROOT"
  exec 8>"$NODES_ROOT/.lock"
  flock 8
  local n slot="" owner
  for ((n = 1; n <= 250; n++)); do
    if mkdir "$NODES_ROOT/slot-$n" 2>/dev/null; then slot=$n; break; fi
    owner="$(cat "$NODES_ROOT/slot-$n/owner" 2>/dev/null || true)"
    # A slot whose state dir is gone is stale, unless its namespace survived
    # (a world killed without 'down'): then it stays taken.
    if [[ -n "$owner" && ! -d "$owner" && ! -e "/run/netns/ferry-rn-$n" ]]; then
      rm -rf "${NODES_ROOT:?}/slot-$n"
      mkdir "$NODES_ROOT/slot-$n" && { slot=$n; break; }
    fi
  done
  [[ -n "$slot" ]] || { exec 8>&-; die "no free real-node slot under $NODES_ROOT"; }
  printf '%s\n' "$STATE" >"$NODES_ROOT/slot-$slot/owner"
  if [[ -z "$(node_live_slots "$slot")" ]]; then
    local s p
    : >"$NODES_ROOT/host.sysctl"
    for s in "${NODE_SYSCTLS[@]}"; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")" >>"$NODES_ROOT/host.sysctl"; done
    : >"$NODES_ROOT/host.created"
    for p in "${NODE_FIXED_PATHS[@]}"; do [[ -e "$p" ]] || printf '%s\n' "$p" >>"$NODES_ROOT/host.created"; done
  fi
  exec 8>&- # unlocks; and the daemons started later do not inherit the descriptor
  mkdir -p "$STATE/node"
  printf '%s\n' "$slot" >"$STATE/node/slot"
  node_vars "$slot"
  local cidr
  for cidr in "$TRANSIT_CIDR" "$POD_CIDR" "$SERVICE_CIDR"; do
    [[ -z "$(ip -4 route show to match "${cidr%/*}" | grep -v '^default' || true)" ]] ||
      die "the host already routes $cidr (a leftover of an earlier world?): $(ip -4 route show to match "${cidr%/*}")"
  done
  log "real node: slot $slot, namespace $NETNS, pods $POD_CIDR, services $SERVICE_CIDR"
}

node_pki() {
  sign_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  sign_cert kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$HOST_IP,DNS:$NODE_NAME"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  sign_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  sign_cert coredns "/CN=ferry-e2e:coredns" clientAuth
}

node_kubeconfig() { # node_kubeconfig <file> <cert name>: via the host end of the veth
  local pki="$STATE/pki"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ferry-e2e
  cluster:
    server: https://$HOST_IP:$APISERVER_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: ferry-e2e
  context: {cluster: ferry-e2e, user: $2}
current-context: ferry-e2e
EOF
  chmod 600 "$1"
}

node_in_ns() { nsenter --net="/run/netns/$NETNS" "$@"; }

node_network() {
  ip netns add "$NETNS"
  ip link add "$HOST_IF" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" addr add "$NS_IP/30" dev eth0
  ip -n "$NETNS" link set eth0 up
  ip -n "$NETNS" route add default via "$HOST_IP"
  ip route add "$POD_CIDR" via "$NS_IP"
  ip route add "$SERVICE_CIDR" via "$NS_IP"
  # Inside the namespace only (per-namespace sysctls): the namespace routes between
  # the pod bridge and the veth, and bridged pod traffic passes kube-proxy's rules.
  node_in_ns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

node_cgroups() { # cgroupRoot for kubelet in every v1 hierarchy (cpuset needs cpus and mems)
  local d
  for d in /sys/fs/cgroup/*/; do
    [[ -f "$d/cgroup.procs" && ! -f "$d/cgroup.controllers" ]] || continue
    mkdir -p "$d$CGROUP_PARENT"
  done
  cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$CGROUP_PARENT/cpuset.cpus"
  cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$CGROUP_PARENT/cpuset.mems"
}

node_configs() {
  local pki="$STATE/pki" c
  mkdir -p "$ND/containerd" "$ND/cni/net.d" "$ND/cni/bin" "$ND/cni/ipam" "$ND/certs.d" "$ND/kubelet" \
    "$ND/pod-logs" "$ND/pv"
  cat >"$ND/containerd/config.toml" <<EOF
version = 2
root = "$ND/containerd/root"
state = "$ND/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = "$ND/containerd/debug.sock"
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$ND/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    netns_mounts_under_state_dir = true
    # The VM's capability bounding set lacks CAP_SYS_RESOURCE: runc cannot lower
    # oom_score_adj below containerd's own, so clamp instead of failing.
    restrict_oom_score_adj = true
    sandbox_image = "$PAUSE_IMAGE"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "$(command -v runc)"
          Root = "$ND/containerd/runc"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$ND/cni/bin"
      conf_dir = "$ND/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$ND/certs.d"
EOF
  # CNI: bridge and portmap run inside the node's namespace (where the bridge and
  # their iptables rules belong); host-local only manages files; containerd's CRI
  # itself runs loopback (in the pod's namespace), so it is not in the conflist.
  for c in bridge portmap; do
    printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s /usr/lib/cni/%s "$@"\n' "$NETNS" "$c" >"$ND/cni/bin/$c"
    chmod 755 "$ND/cni/bin/$c"
  done
  ln -s /usr/lib/cni/host-local "$ND/cni/bin/host-local"
  ln -s /usr/lib/cni/loopback "$ND/cni/bin/loopback"
  cat >"$ND/cni/net.d/10-ferry.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NET",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$ND/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  node_kubeconfig "$ND/kubelet.kubeconfig" kubelet
  node_kubeconfig "$ND/kube-proxy.kubeconfig" kube-proxy
  node_kubeconfig "$ND/coredns.kubeconfig" coredns
  cat >"$ND/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CTR_SOCK
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_PARENT
cgroupsPerQOS: true
enforceNodeAllocatable: ["pods"]
failCgroupV1: false
failSwapOn: false
address: $HOST_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
# No host resolv.conf: pods search only the cluster's domains (CoreDNS here serves
# cluster.local alone; the host's resolvers are not reachable from the node).
resolvConf: ""
podLogsDir: $ND/pod-logs
# kubelet's own iptables chains (KUBE-FIREWALL, canaries) would be host-wide and
# shared between worlds; nothing here needs them.
makeIPTablesUtilChains: false
serializeImagePulls: false
registerNode: true
rotateCertificates: false
serverTLSBootstrap: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  cat >"$ND/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $ND/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the (partly host-wide) conntrack and route_localnet sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
EOF
  cat >"$ND/Corefile" <<EOF
.:53 {
    errors
    health 127.0.0.1:8080
    ready 127.0.0.1:8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $ND/coredns.kubeconfig ferry-e2e
        pods insecure
    }
    cache 5
}
EOF
}

node_manifests() { # RBAC for CoreDNS, the kube-dns Service, the local StorageClass and PVs
  cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ferry-e2e:coredns}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ferry-e2e:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ferry-e2e:coredns}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "ferry-e2e:coredns"}]
---
# CoreDNS runs as a process in the node's namespace: a Service without selector
# and a hand-made EndpointSlice point kube-proxy at it.
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $DNS_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: ferry-e2e.cluster.sh
addressType: IPv4
endpoints:
- addresses: [$NS_IP]
  conditions: {ready: true}
  nodeName: $NODE_NAME
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ferry-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  local i
  for ((i = 0; i < NODE_PVS; i++)); do
    mkdir -p "$ND/pv/pv-$i"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: ferry-local-pv-$i
  labels: {ferry.dev/e2e: "true"}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ferry-local
  volumeMode: Filesystem
  local: {path: $ND/pv/pv-$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}
EOF
  done
}

node_start() { # node_start <name> [--ns] <cmd...>: like start_component, pids in $ND/pids
  local name="$1"; shift
  local prefix=()
  if [[ "$1" == --ns ]]; then prefix=(nsenter --net="/run/netns/$NETNS"); shift; fi
  setsid "${prefix[@]}" "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
  local pid=$!
  STARTED_NAMES+=("$name"); STARTED_PIDS+=("$pid")
  printf '%s %s\n' "$name" "$pid" >>"$ND/pids"
  log "started $name (pid $pid)"
}

# node_up <bin dir> <kubectl...>: after the control plane is up.
node_up() {
  local nbin="$1"; shift
  local kubectl=("$@") t0=$SECONDS
  KUBELET_PORT="$(reserve_port "$STATE")"
  KUBELET_HEALTHZ_PORT="$(reserve_port "$STATE")"
  printf 'kubelet %s\nkubelet-healthz %s\n' "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT" >>"$STATE/ports"
  PAUSE_IMAGE="ferry.local/e2e/pause:1"
  node_network
  node_cgroups
  node_configs

  node_start containerd containerd --config "$ND/containerd/config.toml"
  wait_until "containerd" containerd ctr --address "$CTR_SOCK" version
  # The pause image is packed by Ferry's image packer (src/image), run from source.
  [[ -d "$E2E_DIR/../node_modules/tar" ]] ||
    die "packing the pause image needs the repository's node_modules (run npm install)"
  local digest
  digest="$("$E2E_DIR/../scripts/node" --no-warnings --experimental-transform-types \
    --import "$E2E_DIR/bundle/ts-loader.mjs" "$E2E_DIR/realnode/pack-image.ts" \
    "$nbin/pause" "$PAUSE_IMAGE" "$ND/pause.tar" | sed -n 's/^DIGEST=//p')"
  [[ -n "$digest" ]] || die "packing the pause image failed"
  ctr --address "$CTR_SOCK" -n k8s.io images import "$ND/pause.tar" >/dev/null ||
    fail_component containerd "ctr images import of the pause image failed"
  log "pause image $PAUSE_IMAGE@$digest imported ($((SECONDS - t0))s)"

  node_manifests >"$ND/manifests.yaml"
  "${kubectl[@]}" apply -f "$ND/manifests.yaml" >/dev/null

  node_start coredns --ns "$nbin/coredns" -conf "$ND/Corefile"
  wait_until "CoreDNS ready" coredns node_in_ns curl -fsS http://127.0.0.1:8181/ready

  node_start kubelet "$nbin/kubelet" --config="$ND/kubelet-config.yaml" \
    --kubeconfig="$ND/kubelet.kubeconfig" --root-dir="$ND/kubelet" --cert-dir="$ND/kubelet/pki" \
    --hostname-override="$NODE_NAME" --node-ip="$HOST_IP" --node-labels=ferry.dev/real-node=true --v=1
  wait_until "node $NODE_NAME Ready" kubelet \
    "${kubectl[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s

  node_start kube-proxy --ns "$nbin/kube-proxy" --config="$ND/kube-proxy-config.yaml"
  wait_until "kube-proxy healthz" kube-proxy node_in_ns curl -fsS http://127.0.0.1:10256/healthz
  log "real node $NODE_NAME Ready in $((SECONDS - t0))s"
}

# --- down ------------------------------------------------------------------------

node_down() { # removes what node_up made; safe to run on a half-made node
  [[ -f "$STATE/node/slot" ]] || return 0
  node_vars "$(cat "$STATE/node/slot")"
  # The slot names host-wide things: touch them only while the slot is this world's.
  if [[ "$(cat "$NODES_ROOT/slot-$NODE_SLOT/owner" 2>/dev/null || true)" != "$STATE" ]]; then
    log "real node: slot $NODE_SLOT is not held by $STATE (already released); nothing to tear down"
    rm -f "$STATE/node/slot"
    return 0
  fi
  log "real node: tearing down slot $NODE_SLOT"
  if [[ -f "$ND/pids" ]]; then
    grep -v '^containerd ' "$ND/pids" | stop_pids || true
  fi
  # Containers: kill and delete every task, so each shim exits and removes its socket.
  if [[ -S "$CTR_SOCK" ]]; then
    local ctr=(ctr --address "$CTR_SOCK" -n k8s.io) id
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
    for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do "${ctr[@]}" containers rm "$id" >/dev/null 2>&1 || true; done
  fi
  node_kill_cgroup_procs
  if [[ -f "$ND/pids" ]]; then
    grep '^containerd ' "$ND/pids" | stop_pids || true
  fi
  # Shims that outlived containerd: only those started for this world's socket.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTR_SOCK( |$)" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  node_unmount
  if [[ -e "/run/netns/$NETNS" ]]; then ip netns del "$NETNS" || log "WARNING: ip netns del $NETNS failed"; fi
  # The namespace's deletion removes the veth pair, asynchronously.
  ip link del "$HOST_IF" 2>/dev/null || true
  ip route del "$POD_CIDR" via "$NS_IP" 2>/dev/null || true
  ip route del "$SERVICE_CIDR" via "$NS_IP" 2>/dev/null || true
  node_rmdir_cgroups
  # This world's own entries in the shared fixed paths.
  local f
  for f in /var/log/containers/*.log; do
    [[ -L "$f" && "$(readlink "$f")" == "$ND/"* ]] && rm -f "$f"
  done
  rm -f /var/lib/cni/results/"$CNI_NET"-* 2>/dev/null || true
  node_release
}

node_kill_cgroup_procs() { # whatever still runs in this world's cgroups (containers)
  local d
  local -a pids
  for d in /sys/fs/cgroup/pids/"$CGROUP_PARENT" /sys/fs/cgroup/memory/"$CGROUP_PARENT"; do
    [[ -d "$d" ]] || continue
    mapfile -t pids < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
  done
}

node_unmount() { # every mount under <stateDir>/node, deepest first
  local m i
  for ((i = 0; i < 3; i++)); do
    mapfile -t mounts < <(findmnt -rn -o TARGET | grep -F "$ND" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    ((${#mounts[@]} == 0)) && return 0
    for m in "${mounts[@]}"; do
      m="$(printf '%b' "$m")" # findmnt -r escapes blanks as \x20
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  done
  die "mounts left under $ND, not removing it: $(findmnt -rn -o TARGET | grep -F "$ND" | tr '\n' ' ')"
}

node_rmdir_cgroups() {
  local d i
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [[ -d "$d" ]] || continue
    for ((i = 0; i < 20; i++)); do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [[ -d "$d" ]] || break
      sleep 0.25
    done
    [[ -d "$d" ]] && log "WARNING: could not remove cgroup $d"
  done
  return 0
}

node_release() { # frees the slot; the last live world restores the host
  exec 8>"$NODES_ROOT/.lock"
  flock 8
  if [[ -z "$(node_live_slots "$NODE_SLOT")" ]]; then
    local line p
    if [[ -f "$NODES_ROOT/host.sysctl" ]]; then
      while IFS= read -r line; do sysctl -qw "$line" || log "WARNING: could not restore $line"; done <"$NODES_ROOT/host.sysctl"
      rm -f "$NODES_ROOT/host.sysctl"
    fi
    if [[ -f "$NODES_ROOT/host.created" ]]; then
      while IFS= read -r p; do
        [[ -n "$p" && -e "$p" ]] || continue
        if [[ "$p" == /run/netns ]]; then
          rmdir /run/netns 2>/dev/null || { umount /run/netns 2>/dev/null; rmdir /run/netns 2>/dev/null; } || true
        else
          rm -rf -- "$p"
        fi
      done <"$NODES_ROOT/host.created"
      rm -f "$NODES_ROOT/host.created"
    fi
  fi
  rm -rf "${NODES_ROOT:?}/slot-$NODE_SLOT"
  rm -f "$STATE/node/slot"
  exec 8>&-
}
