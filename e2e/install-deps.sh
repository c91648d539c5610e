#!/usr/bin/env bash
# Installs the Debian packages the e2e scripts need, only when missing.
#   docker-registry  Debian's distribution 2.8.x registry (registry.sh)
#   skopeo           copy/inspect images in e2e tests
#   docker-compose   checks the compose export (required when CI=true, see bundle.e2e.test.ts)
#   lua5.4           runs the Argo CD health check of docs/gitops.md (gitops-health.e2e.test.ts)
#   openssl          certificates (cluster.sh, registry.sh; the token server's P-256 signing key)
#   jq               JSON in shell checks
#   apache2-utils    htpasswd -B for registry basic auth
#   util-linux       flock (tools.sh)
#   curl             readiness probes
#   mmdebstrap       the operator image's Debian base without Docker (npm run image)
#   runc             runs the built operator image without a cluster (operator-image.e2e.test.ts)
#   chromium         the browser the console suite drives headless through playwright-core
#                    (e2e/console/; never a browser a tool downloads itself)
# The real node (FERRY_E2E_REAL_NODE=1 e2e/cluster.sh up, e2e/realnode/):
#   containerd, runc               container runtime (Debian's containerd 1.6, its shim, ctr)
#   containernetworking-plugins    CNI bridge, host-local, portmap in /usr/lib/cni
#   iptables                       kube-proxy (iptables mode) and the CNI plugins
#   iproute2                       ip netns / veth / routes
#   procps                         sysctl, pgrep
# Not installed here: Go >= 1.26 on PATH, which tools.sh, tools-helm.sh and registry.sh --token
# (the token server, e2e/go/tokenserver) build with.
set -euo pipefail

PACKAGES=(docker-registry skopeo docker-compose lua5.4 openssl jq apache2-utils util-linux curl mmdebstrap runc chromium
  containerd containernetworking-plugins iptables iproute2 procps)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[install-deps] all present: ${PACKAGES[*]}" >&2
  exit 0
fi

SUDO=()
if ((EUID != 0)); then SUDO=(sudo); fi

echo "[install-deps] installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends: docker-registry would otherwise pull in extra daemons' deps.
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# Debian's package starts a system-wide registry on :5000; the e2e scripts run
# their own instances, so stop the packaged service when systemd is running it.
if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null \
   && systemctl is-active --quiet docker-registry 2>/dev/null; then
  "${SUDO[@]}" systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
# Likewise containerd: the real node runs its own instance with its own config and socket.
if [[ " ${missing[*]} " == *" containerd "* ]] && command -v systemctl >/dev/null \
   && systemctl is-active --quiet containerd 2>/dev/null; then
  "${SUDO[@]}" systemctl disable --now containerd >/dev/null 2>&1 || true
fi
echo "[install-deps] done" >&2
