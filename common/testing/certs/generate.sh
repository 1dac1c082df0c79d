#!/usr/bin/env bash
# Generates the test PKI in this directory (100-year validity; test use only).
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 36500 -subj "/CN=CAK voorlichting test CA" 2>/dev/null
issue() {  # issue <name> <CN> <subjectAltName>
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 36500 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server localhost "DNS:localhost,IP:127.0.0.1"
issue campaign-svc campaign-svc.voorlichting.svc "DNS:campaign-svc.voorlichting.svc"
issue stranger stranger.example "DNS:stranger.example"
rm -f ca.srl
