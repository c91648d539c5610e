#!/usr/bin/env bash
# Builds helm from the wrapper module e2e/go/helm into
#   ${FERRY_CACHE:-$HOME/.cache/ferry}/helm-bin/<key>/helm
# where <key> hashes the wrapper go.mod/go.sum and the build recipe below (the
# same approach as e2e/tools.sh, which builds the control-plane binaries).
# Progress goes to stderr; the bin dir is the only line printed on stdout.
set -euo pipefail

# Keep in sync with e2e/go/helm/go.mod (checked below). To bump: edit the
# require, run `go mod tidy` in e2e/go/helm, then update the constant here.
HELM_VERSION=v3.22.0
# Bump when the build recipe (flags) changes.
RECIPE_REV=1

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOD_DIR="$E2E_DIR/go/helm"
CACHE_ROOT="${FERRY_CACHE:-$HOME/.cache/ferry}/helm-bin"

log() { printf '[tools-helm] %s\n' "$*" >&2; }
die() { printf '[tools-helm] ERROR: %s\n' "$*" >&2; exit 1; }

# helm's Makefile stamps its version and the Kubernetes version that `helm
# template`/`helm lint` assume without a cluster (client-go's minor, major + 1).
client_go="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$MOD_DIR/go.mod")"
[[ -n "$client_go" ]] || die "e2e/go/helm/go.mod has no k8s.io/client-go v0.X.Y"
LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  LDFLAGS+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go"
done

key="$(
  {
    printf '%s\n' "$HELM_VERSION" "$RECIPE_REV" "$LDFLAGS"
    cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum"
  } | sha256sum | cut -c1-16
)"
BIN_DIR="$CACHE_ROOT/$key"

if [[ -x "$BIN_DIR/helm" ]]; then
  log "cached: $BIN_DIR"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || die "go is not installed (need Go >= 1.26)"
grep -q "helm.sh/helm/v3 $HELM_VERSION" "$MOD_DIR/go.mod" || die "e2e/go/helm/go.mod does not require helm.sh/helm/v3 $HELM_VERSION"

mkdir -p "$CACHE_ROOT"
# Serialise concurrent callers (two suites starting at once on a cold cache).
exec 9>"$CACHE_ROOT/.lock-$key"
if ! flock -n 9; then
  log "another build of $key is running; waiting for it"
  flock 9
fi
if [[ -x "$BIN_DIR/helm" ]]; then
  log "cached (built by another process): $BIN_DIR"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

# Build into a temp dir and rename at the end, so an interrupted build never
# leaves a half-populated cache dir.
TMP_DIR="$(mktemp -d "$CACHE_ROOT/.tmp-$key.XXXXXX")"
chmod 755 "$TMP_DIR"
BUILD_PID=""
trap 'if [[ -n "$BUILD_PID" ]]; then kill -TERM -- "-$BUILD_PID" 2>/dev/null || true; wait "$BUILD_PID" 2>/dev/null || true; fi
      rm -rf "$TMP_DIR"' EXIT
trap 'exit 130' INT TERM

export CGO_ENABLED=0 GOTOOLCHAIN=local
# go.sum is committed and lists every module, so builds never consult the checksum DB.
# -mod=readonly: never rewrite go.mod/go.sum. -trimpath: no local paths in the binary.
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"

start=$SECONDS
log "cold build of helm $HELM_VERSION into $BIN_DIR ..."
# Background + wait so that a signal reaches our trap at once.
(cd "$MOD_DIR" && exec setsid go build -o "$TMP_DIR/helm" -ldflags "$LDFLAGS" helm.sh/helm/v3/cmd/helm) &
BUILD_PID=$!
wait "$BUILD_PID" || die "go build of helm failed"
BUILD_PID=""

if mv -T "$TMP_DIR" "$BIN_DIR" 2>/dev/null; then
  trap - EXIT
else
  [[ -x "$BIN_DIR/helm" ]] || die "could not move $TMP_DIR to $BIN_DIR"
fi
log "built helm in $((SECONDS - start))s"
printf '%s\n' "$BIN_DIR"
