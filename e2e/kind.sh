#!/usr/bin/env bash
# Alternative to cluster.sh for machines WITH Docker (not usable on the project's
# Docker-less machines): a real kind cluster.
#
#   e2e/kind.sh up <stateDir> [name]    last stdout line: KUBECONFIG=<stateDir>/kubeconfig
#   e2e/kind.sh down <stateDir> [name]
#
# FERRY_KIND_IMAGE picks the node image (default: the installed kind's default).
# Unlike cluster.sh, pods really run here: the kwok "never-ready" convention
# (e2e/kwok/stages.yaml) does not apply.
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 up|down <stateDir> [name]" >&2; exit 2; }
action="$1" state="$2" name="${3:-ferry-e2e}"
command -v kind >/dev/null || { echo "[kind] kind is not installed" >&2; exit 1; }

case "$action" in
  up)
    mkdir -p "$state"
    args=(create cluster --name "$name" --kubeconfig "$state/kubeconfig" --wait 180s)
    [[ -z "${FERRY_KIND_IMAGE:-}" ]] || args+=(--image "$FERRY_KIND_IMAGE")
    kind "${args[@]}" >&2
    printf 'KUBECONFIG=%s\n' "$(cd "$state" && pwd)/kubeconfig"
    ;;
  down)
    kind delete cluster --name "$name" >&2
    rm -rf -- "$state"
    ;;
  *) echo "usage: $0 up|down <stateDir> [name]" >&2; exit 2 ;;
esac
