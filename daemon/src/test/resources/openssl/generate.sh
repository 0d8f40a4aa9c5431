#!/bin/bash
# Writes the keys of daemon/src/test/resources/openssl (see README) into the current directory.
set -euo pipefail
gen() { # name, genpkey arguments...
  local name=$1; shift
  for n in 1 2 3; do openssl genpkey "$@" -out "$name-$n.key.pem"; done
}
gen ec-p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
gen ec-p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
gen ec-p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
gen ec-secp256k1 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1
gen ed25519 -algorithm ED25519
gen ed448 -algorithm ED448
gen x25519 -algorithm X25519
gen rsa-pss-2048 -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048
gen rsa-1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
gen rsa-2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
gen rsa-3072 -algorithm RSA -pkeyopt rsa_keygen_bits:3072
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param.pem
gen dsa -paramfile dsa.param.pem
rm dsa.param.pem
