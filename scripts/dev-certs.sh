#!/usr/bin/env bash
# Creates a local certificate authority and certificates for trying TLS and
# mTLS (SPEC §8) on one machine. Not for production: the CA key sits beside
# the certificates it signs.
#
#   scripts/dev-certs.sh [--out DIR] [PARTNER_CODE ...]
#
# Writes to DIR (default .dev/certs):
#   ca.pem, ca.key                  the local CA (trust ca.pem in clients)
#   server.pem, server.key          for localhost and 127.0.0.1
#   partner-<code>.pem/.key         client certificates with CN=<code> and DNS SAN
#                                   <code>, one per partner code given (default:
#                                   fuelco); the server accepts one only once it is
#                                   registered: coalitionctl partner cert add
# Existing files are kept, so re-running adds partners without re-issuing.
#
# Then, for example:
#   COALITION_TLS_CERT_FILE=.dev/certs/server.pem COALITION_TLS_KEY_FILE=.dev/certs/server.key \
#   COALITION_TLS_CLIENT_CA_FILE=.dev/certs/ca.pem ... coalition-server
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="$REPO_ROOT/.dev/certs"
partners=()
while (( $# > 0 )); do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *)
      [[ "$1" =~ ^[a-z0-9][a-z0-9-]{1,31}$ ]] || die "'$1' is not a partner code"
      partners+=("$1"); shift ;;
  esac
done
(( ${#partners[@]} > 0 )) || partners=(fuelco)
command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"

mkdir -p "$out"
umask 077
days=825

if [[ ! -s "$out/ca.pem" ]]; then
  phase "dev-certs: local CA ($out/ca.pem)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$days" \
    -subj "/CN=Coalition dev CA" -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
fi

# issue NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA.
issue() {
  local name="$1" subject="$2" extensions="$3"
  [[ -s "$out/$name.pem" ]] && return
  phase "dev-certs: $name ($subject)"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj "$subject" \
    -keyout "$out/$name.key" -out "$out/$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -days "$days" -sha256 -extfile "$out/$name.ext" -out "$out/$name.pem" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
}

issue server "/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
basicConstraints=CA:FALSE"
for code in "${partners[@]}"; do
  issue "partner-$code" "/CN=$code" \
    "subjectAltName=DNS:$code
extendedKeyUsage=clientAuth
basicConstraints=CA:FALSE"
done
chmod 644 "$out"/*.pem
note "certificates in $out"
