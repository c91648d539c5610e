#!/usr/bin/env bash
# Local OCI registry for e2e tests: Debian's docker-registry (distribution 2.8)
# on a free loopback port, filesystem storage in <stateDir>, deletes enabled.
#
#   e2e/registry.sh up <stateDir> [--auth USER:PASS | --token POLICY.json] [--tls]
#       last stdout line: REGISTRY=127.0.0.1:<port> (also written to <stateDir>/address)
#       --auth:  htpasswd (bcrypt) basic auth
#       --token: token auth: the token server of e2e/go/tokenserver (built by
#                `e2e/tools.sh tokenserver`) on another free loopback port, plain
#                HTTP, with a copy of POLICY.json (users, passwords, access rules;
#                see e2e/go/tokenserver/policy.go) and an ES256 signing key whose
#                self-signed certificate is the registry's rootcertbundle, all in
#                <stateDir>/token/. Prints TOKEN_REALM=http://127.0.0.1:<port>/token
#                before the REGISTRY= line (also written to <stateDir>/token-realm).
#       --tls:   HTTPS with a self-signed CA written to <stateDir>/ca.crt
#                (for skopeo: --dest-cert-dir=<stateDir>; nothing else *.crt/*.key lives there)
#   e2e/registry.sh down <stateDir>
#
# Needs: docker-registry, openssl, curl, htpasswd (see e2e/install-deps.sh); go for --token.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORTS_DIR="${TMPDIR:-/tmp}/ferry-e2e-ports"
TIMEOUT="${FERRY_E2E_TIMEOUT:-60}"
MARKER=.ferry-e2e-registry

log() { printf '[registry] %s\n' "$*" >&2; }
die() { printf '[registry] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { echo "usage: $0 up <stateDir> [--auth USER:PASS | --token POLICY.json] [--tls] | down <stateDir>" >&2; exit 2; }
TOKEN_SERVICE=ferry-e2e-registry
TOKEN_ISSUER=ferry-e2e-token

# Same reservation scheme as cluster.sh: a port is taken when something listens
# on it or a live stateDir reserved it (mkdir is atomic).
reserve_port() {
  local owner="$1" p i
  mkdir -p "$PORTS_DIR"
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
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

release_ports() {
  local owner="$1" d
  for d in "$PORTS_DIR"/*/; do
    [[ -f "$d/owner" && "$(cat "$d/owner")" == "$owner" ]] && rm -rf "$d"
  done
  return 0
}

stop_process() { # stop_process <name in pids> <command pattern>: TERM, wait up to 10s, KILL; only if the pid still runs that command
  local pid
  pid="$(awk -v name="$1" '$1 == name {print $2}' "$STATE/pids" 2>/dev/null || true)"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
  stop_process registry docker-registry
  stop_process tokenserver tokenserver
}

wait_http() { # wait_http <pid> <log> <url> <curl args...>: until the URL answers 200 or 401
  local pid="$1" logfile="$2" url="$3" code deadline=$((SECONDS + TIMEOUT))
  shift 3
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      { log "ERROR: $(basename "$logfile" .log) exited during start-up"; tail -n 40 "$logfile"; } >&2
      exit 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)"
    [[ "$code" == 200 || "$code" == 401 ]] && return 0
    if ((SECONDS >= deadline)); then
      { log "ERROR: timed out waiting for $url (last HTTP code $code)"; tail -n 40 "$logfile"; } >&2
      exit 1
    fi
    sleep 0.2
  done
}

start_token_server() { # start_token_server <policy>: sets REALM
  local policy="$1" d="$STATE/token" bin port
  bin="$("$E2E_DIR/tools.sh" tokenserver | tail -n 1)"
  mkdir -p "$d"
  (umask 077 && cp -- "$policy" "$d/policy.json")
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/signing.key" \
    -out "$d/signing.crt" -days 3650 -sha256 -subj "/CN=ferry-e2e-token-signer" 2>/dev/null
  port="$(reserve_port "$STATE")"
  setsid "$bin/tokenserver" -addr "127.0.0.1:$port" -policy "$d/policy.json" -key "$d/signing.key" \
    -cert "$d/signing.crt" -issuer "$TOKEN_ISSUER" -service "$TOKEN_SERVICE" \
    </dev/null >>"$STATE/logs/tokenserver.log" 2>&1 &
  printf 'tokenserver %s\n' "$!" >>"$STATE/pids"
  wait_http "$!" "$STATE/logs/tokenserver.log" "http://127.0.0.1:$port/token?service=$TOKEN_SERVICE"
  REALM="http://127.0.0.1:$port/token"
}

gen_tls() {
  local d="$STATE/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$STATE/ca.crt" -days 3650 -sha256 \
    -subj "/CN=ferry-e2e-registry-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$STATE/ca.crt" -CAkey "$d/ca.key" -CAserial "$d/ca.srl" -CAcreateserial \
    -days 365 -sha256 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
}

UP_OK=0
REALM=""
on_up_exit() { # failure or interrupt during up: stop the registry, free the port
  local rc=$?
  if ((UP_OK == 0)); then stop_all; rm -f "$STATE/pids"; release_ports "$STATE"; fi
  exit "$rc"
}

cmd_up() {
  local auth="" tls=0 policy=""
  while (($#)); do
    case "$1" in
      --auth) [[ $# -ge 2 && "$2" == *:* ]] || die "--auth needs USER:PASS"; auth="$2"; shift 2 ;;
      --token) [[ $# -ge 2 && -f "$2" ]] || die "--token needs a policy file"; policy="$(realpath -- "$2")"; shift 2 ;;
      --tls) tls=1; shift ;;
      *) usage ;;
    esac
  done
  [[ -z "$auth" || -z "$policy" ]] || die "--auth and --token do not go together"
  command -v docker-registry >/dev/null || die "docker-registry not installed (run e2e/install-deps.sh)"

  mkdir -p "$STATE"
  [[ -z "$(ls -A "$STATE")" ]] || die "$STATE is not empty (run '$0 down $STATE' first)"
  touch "$STATE/$MARKER"
  mkdir -p "$STATE/data" "$STATE/logs"

  trap on_up_exit EXIT
  trap 'exit 130' INT TERM

  [[ -z "$policy" ]] || start_token_server "$policy"
  local port; port="$(reserve_port "$STATE")"
  local addr="127.0.0.1:$port" scheme=http
  {
    cat <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $addr
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if ((tls)); then
      printf '  tls:\n    certificate: %s\n    key: %s\n' "$STATE/tls/server.crt" "$STATE/tls/server.key"
    fi
    if [[ -n "$auth" ]]; then
      printf 'auth:\n  htpasswd:\n    realm: ferry-e2e\n    path: %s\n' "$STATE/htpasswd"
    fi
    if [[ -n "$REALM" ]]; then
      printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
        "$REALM" "$TOKEN_SERVICE" "$TOKEN_ISSUER" "$STATE/token/signing.crt"
    fi
  } >"$STATE/config.yml"
  ((tls == 0)) || { gen_tls; scheme=https; }
  [[ -z "$auth" ]] || htpasswd -Bbn "${auth%%:*}" "${auth#*:}" >"$STATE/htpasswd" 2>/dev/null

  # env -u: REGISTRY_* variables would override config.yml.
  # shellcheck disable=SC2046
  setsid env $(env | awk -F= '/^REGISTRY_/ {printf "-u %s ", $1}') docker-registry serve "$STATE/config.yml" \
    </dev/null >>"$STATE/logs/registry.log" 2>&1 &
  local pid=$!
  printf 'registry %s\n' "$pid" >>"$STATE/pids"

  local curl_args=()
  ((tls == 0)) || curl_args+=(--cacert "$STATE/ca.crt")
  wait_http "$pid" "$STATE/logs/registry.log" "$scheme://$addr/v2/" "${curl_args[@]}"

  printf '%s\n' "$addr" >"$STATE/address"
  UP_OK=1
  trap - EXIT INT TERM
  log "registry up at $scheme://$addr (pid $pid)${REALM:+, token server at $REALM}"
  if [[ -n "$REALM" ]]; then
    printf '%s\n' "$REALM" >"$STATE/token-realm"
    printf 'TOKEN_REALM=%s\n' "$REALM"
  fi
  printf 'REGISTRY=%s\n' "$addr"
}

cmd_down() {
  if [[ ! -e "$STATE" ]]; then log "$STATE does not exist; nothing to do"; return 0; fi
  [[ -f "$STATE/$MARKER" ]] || die "$STATE was not created by $0 up; refusing to remove it"
  stop_all
  release_ports "$STATE"
  rm -rf -- "$STATE"
  log "down: $STATE removed"
}

[[ $# -ge 2 ]] || usage
action="$1"; mkdir -p "$(dirname -- "$2")"
STATE="$(cd "$(dirname -- "$2")" && pwd)/$(basename -- "$2")"
shift 2
case "$action" in
  up) cmd_up "$@" ;;
  down) [[ $# -eq 0 ]] || usage; cmd_down ;;
  *) usage ;;
esac
