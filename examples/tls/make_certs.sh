#!/usr/bin/env bash
# make_certs.sh DIR [NAME ...]: a test certificate authority and, for each
# NAME (default: run stage-a stage-b stage-c), a key and a certificate the CA
# signed, for edgepipe's mutual TLS. Written into DIR (created, mode 700):
#   DIR/ca.pem  DIR/ca.key          the CA (keep ca.key away from the nodes)
#   DIR/NAME.pem  DIR/NAME.key      one per node or run process
# For tests and trials only: keys are unencrypted, certificates last 30 days.
# Never commit the output.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [NAME ...]" >&2
  exit 2
fi
dir=$1
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(run stage-a stage-b stage-c)
command -v openssl >/dev/null || { echo "make_certs.sh: needs the openssl command (apt-get install openssl)" >&2; exit 1; }

umask 077
mkdir -p "$dir"
key_args=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)

if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 "${key_args[@]}" -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 30 \
    -subj "/CN=edgepipe test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

for name in "${names[@]}"; do
  case $name in
    *[!A-Za-z0-9._-]* | "") echo "make_certs.sh: bad name '$name'" >&2; exit 2 ;;
  esac
  openssl req "${key_args[@]}" -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/CN=$name" 2>/dev/null
  # Both ends of a connection present one: server and client use.
  printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/$name.pem" -days 30 -extfile "$dir/$name.ext" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
done
echo "make_certs.sh: CA and certificates for ${names[*]} in $dir"
