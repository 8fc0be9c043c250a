#!/usr/bin/env bash
# Makes throwaway certificates for trying TLS by hand and for the tests:
#   ca.pem/ca.key                    a CA
#   server.pem/.key (for localhost and 127.0.0.1), client.pem/.key,
#                                    signed by that CA
#   other-ca.pem, other-client.pem/.key  an unrelated CA and a client of it
# Usage: scripts/make-test-certs.sh DIR   (EC P-256 keys, valid 30 days,
# keys unencrypted: for tests only, never for production.)
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
mkdir -p "$1"
cd "$1"

key_options=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

make_ca() {
  openssl req -x509 "${key_options[@]}" -keyout "$1.key" -out "$1.pem" \
    -days 30 -subj "/CN=statekeeper test $1" 2>/dev/null
}

make_cert() { # name, signing CA, [subjectAltName]
  local names=()
  if [ $# -ge 3 ]; then names=(-addext "subjectAltName=$3"); fi
  openssl req "${key_options[@]}" -keyout "$1.key" -out "$1.csr" \
    -subj "/CN=$1" "${names[@]}" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
    -CAcreateserial -copy_extensions copy -out "$1.pem" -days 30 2>/dev/null
  rm -f "$1.csr"
}

make_ca ca
make_ca other-ca
make_cert server ca DNS:localhost,IP:127.0.0.1
make_cert client ca
make_cert other-client other-ca
rm -f ./*.srl
