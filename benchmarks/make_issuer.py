#!/usr/bin/env python3
"""Writes a static OIDC issuer (discovery document, JWKS) and a signed RS256 access token for the benchmark.

Usage: make_issuer.py OUT_DIR ISSUER_URL CLIENT_ID
Creates OUT_DIR/issuer/.well-known/openid-configuration, OUT_DIR/issuer/jwks.json and OUT_DIR/token.
"""
import base64
import json
import os
import sys
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def number(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def main() -> None:
    out, issuer, client_id = sys.argv[1], sys.argv[2], sys.argv[3]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_numbers()
    kid = "bench-key"
    os.makedirs(os.path.join(out, "issuer", ".well-known"), exist_ok=True)
    with open(os.path.join(out, "issuer", ".well-known", "openid-configuration"), "w") as f:
        json.dump({"issuer": issuer, "jwks_uri": issuer + "/jwks.json",
                   "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token"}, f)
    with open(os.path.join(out, "issuer", "jwks.json"), "w") as f:
        json.dump({"keys": [{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                             "n": number(public.n), "e": number(public.e)}]}, f)
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    claims = {"iss": issuer, "sub": str(uuid.uuid4()), "azp": client_id, "typ": "Bearer",
              "iat": now, "nbf": now, "exp": now + 3600, "preferred_username": "bench",
              "groups": ["verrazzano-admins", "team-a", "team-b"],
              "realm_access": {"roles": ["vz_api_access"]}}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    with open(os.path.join(out, "token"), "w") as f:
        f.write(signing_input + "." + b64url(signature))


if __name__ == "__main__":
    main()
