#!/usr/bin/env bash
# Builds the e2e binaries from the wrapper modules in e2e/go/.
#
#   e2e/tools.sh        the control plane: etcd, kube-apiserver, kube-controller-manager,
#                       kube-scheduler, kubectl, kwok (e2e/go/{etcd,kube,kwok})
#                       into ${FERRY_CACHE:-$HOME/.cache/ferry}/e2e-bin/<key>/
#   e2e/tools.sh node   the real node (FERRY_E2E_REAL_NODE=1 e2e/cluster.sh up): kubelet,
#                       kube-proxy (e2e/go/node, the same Kubernetes version as e2e/go/kube,
#                       checked), coredns (e2e/go/coredns), pause and podtool (e2e/go/nodeimg)
#                       into .../e2e-bin/node-<key>/
#   e2e/tools.sh tokenserver
#                       the registry token server of registry.sh --token
#                       (e2e/go/tokenserver, standard library only; seconds to build)
#                       into .../e2e-bin/tokenserver-<key>/
#
# <key> hashes the wrapper modules' go.mod/go.sum (and, for node and tokenserver,
# the sources kept here) and the build recipe below. The node and token server
# binaries are separate sets so that the control plane's key, shared with every
# KWOK-only run, does not change.
# Progress goes to stderr; the bin dir is the only line printed on stdout.
set -euo pipefail

# Keep in sync with e2e/go/*/go.mod (checked below). To bump: edit the require
# (and, for kube, every staging replace to the matching v0.X.Y), run
# `go mod tidy` in that wrapper dir, then update the constant here.
K8S_VERSION=v1.35.8
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
COREDNS_VERSION=v1.14.7
# Bump when the build recipe (flags, binary list) changes.
RECIPE_REV=1

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO_DIR="$E2E_DIR/go"
CACHE_ROOT="${FERRY_CACHE:-$HOME/.cache/ferry}/e2e-bin"
MODE="${1:-control-plane}"
case "$MODE" in
  control-plane) BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok) ;;
  node) BINARIES=(kubelet kube-proxy coredns pause podtool) ;;
  tokenserver) BINARIES=(tokenserver) ;;
  *) echo "usage: $0 [node|tokenserver]" >&2; exit 2 ;;
esac

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

k8s_minor="${K8S_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
KUBE_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  KUBE_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
done

if [[ "$MODE" == control-plane ]]; then
  key="$(
    {
      printf '%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$RECIPE_REV" "$KUBE_LDFLAGS"
      for m in etcd kube kwok; do cat "$GO_DIR/$m/go.mod" "$GO_DIR/$m/go.sum"; done
    } | sha256sum | cut -c1-16
  )"
elif [[ "$MODE" == tokenserver ]]; then
  key="tokenserver-$(
    {
      printf '%s\n' "$RECIPE_REV"
      cat "$GO_DIR/tokenserver/go.mod" "$GO_DIR/tokenserver/main.go" "$GO_DIR/tokenserver/policy.go"
    } | sha256sum | cut -c1-16
  )"
else
  key="node-$(
    {
      printf '%s\n' "$K8S_VERSION" "$COREDNS_VERSION" "$RECIPE_REV" "$KUBE_LDFLAGS"
      cat "$GO_DIR/node/go.mod" "$GO_DIR/node/go.sum" "$GO_DIR/coredns/go.mod" "$GO_DIR/coredns/go.sum" \
        "$GO_DIR/coredns/main.go" "$GO_DIR/nodeimg/go.mod" "$GO_DIR/nodeimg/pause/main.go" \
        "$GO_DIR/nodeimg/podtool/main.go"
    } | sha256sum | cut -c1-16
  )"
fi
BIN_DIR="$CACHE_ROOT/$key"

complete() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

if complete; then
  log "cached: $BIN_DIR"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || die "go is not installed (need Go >= 1.26)"
for pair in "kube:k8s.io/kubernetes $K8S_VERSION" "etcd:go.etcd.io/etcd/server/v3 $ETCD_VERSION" \
            "kwok:sigs.k8s.io/kwok $KWOK_VERSION" "node:k8s.io/kubernetes $K8S_VERSION" \
            "coredns:github.com/coredns/coredns $COREDNS_VERSION"; do
  grep -q "${pair#*:}" "$GO_DIR/${pair%%:*}/go.mod" || die "e2e/go/${pair%%:*}/go.mod does not require ${pair#*:}"
done
if [[ "$MODE" == node ]]; then
  # kubelet and kube-proxy must be the control plane's Kubernetes: the same
  # staging replaces (k8s.io/* => v0.X.Y) in both wrapper modules.
  staging() { grep -E '^[[:space:]]*k8s\.io/[^ ]+ => ' "$1" | sort; }
  [[ "$(staging "$GO_DIR/node/go.mod")" == "$(staging "$GO_DIR/kube/go.mod")" ]] ||
    die "e2e/go/node/go.mod and e2e/go/kube/go.mod replace the Kubernetes staging modules differently; keep them at the same version"
fi

mkdir -p "$CACHE_ROOT"
# Serialise concurrent callers (e.g. two clusters started at once on a cold cache).
exec 9>"$CACHE_ROOT/.lock-$key"
if ! flock -n 9; then
  log "another build of $key is running; waiting for it"
  flock 9
fi
if complete; then
  log "cached (built by another process): $BIN_DIR"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

# Build into a temp dir and rename at the end, so an interrupted build never
# leaves a half-populated cache dir.
TMP_DIR="$(mktemp -d "$CACHE_ROOT/.tmp-$key.XXXXXX")"
chmod 755 "$TMP_DIR"
BUILD_PID=""
# On exit (error or signal) stop a running `go build` (its own process group)
# and drop the temp dir.
trap 'if [[ -n "$BUILD_PID" ]]; then kill -TERM -- "-$BUILD_PID" 2>/dev/null || true; wait "$BUILD_PID" 2>/dev/null || true; fi
      rm -rf "$TMP_DIR"' EXIT
trap 'exit 130' INT TERM

export CGO_ENABLED=0 GOTOOLCHAIN=local
# go.sum is committed and lists every module, so builds never consult the
# checksum DB; no GOSUMDB/GONOSUMDB override is needed (sum.golang.org itself is
# unreachable here, but `go mod tidy` reaches it through the module proxy).
# -mod=readonly: never rewrite go.mod/go.sum. -trimpath: no local paths in binaries.
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"

build() { # build <module dir> <binary name> <package> [ldflags]
  local dir="$1" name="$2" pkg="$3" ldflags="${4:-"-s -w"}" start=$SECONDS
  log "building $name ($pkg) ..."
  # Background + wait so that a signal reaches our trap at once.
  (cd "$GO_DIR/$dir" && exec setsid go build -o "$TMP_DIR/$name" -ldflags "$ldflags" "$pkg") &
  BUILD_PID=$!
  wait "$BUILD_PID" || die "go build of $name failed"
  BUILD_PID=""
  log "built $name in $((SECONDS - start))s"
}

total_start=$SECONDS
# Sequential on purpose: each go build already uses every core, and linking the
# kube binaries concurrently costs several GiB of memory.
if [[ "$MODE" == control-plane ]]; then
  log "cold build into $BIN_DIR (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  build etcd etcd go.etcd.io/etcd/server/v3
  build kwok kwok sigs.k8s.io/kwok/cmd/kwok
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    build kube "$b" "k8s.io/kubernetes/cmd/$b" "$KUBE_LDFLAGS"
  done
elif [[ "$MODE" == tokenserver ]]; then
  log "cold build into $BIN_DIR (registry token server)"
  build tokenserver tokenserver .
else
  log "cold build into $BIN_DIR (Kubernetes $K8S_VERSION node, CoreDNS $COREDNS_VERSION)"
  build nodeimg pause ./pause
  build nodeimg podtool ./podtool
  build coredns coredns .
  for b in kubelet kube-proxy; do
    build node "$b" "k8s.io/kubernetes/cmd/$b" "$KUBE_LDFLAGS"
  done
fi

if mv -T "$TMP_DIR" "$BIN_DIR" 2>/dev/null; then
  trap - EXIT
else
  complete || die "could not move $TMP_DIR to $BIN_DIR"
fi
log "all binaries built in $((SECONDS - total_start))s"
printf '%s\n' "$BIN_DIR"
