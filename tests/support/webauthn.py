"""A software authenticator: what a phone's passkey or a security key does, in a few lines.

It answers `navigator.credentials.create()` and `.get()` options (the JSON form py_webauthn's
`options_to_json` produces) with the JSON a browser's `PublicKeyCredential.toJSON()` gives:
clientDataJSON, authenticatorData with flags and sign count, attestation "none", and an
ES256 (P-256, SHA-256, DER) signature over authenticatorData ‖ SHA-256(clientDataJSON).
Everything a server must check can be made wrong on purpose: origin, rp id, challenge,
signature, sign count, user handle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field, replace
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backed up
FLAG_AT = 0x40  # attested credential data follows


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class NoCredential(Exception):
    """The options allow none of this authenticator's credentials (the browser would say
    NotAllowedError)."""


@dataclass
class SoftwareAuthenticator:
    """One discoverable ES256 credential for one relying party."""

    origin: str
    rp_id: str = "localhost"
    user_verified: bool = True
    sign_count: int = 0
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    user_handle: str | None = None  # base64url, as the registration options gave it

    def clone(self) -> SoftwareAuthenticator:
        """The same key and counter in a second device (what a cloned key would be)."""
        return replace(self)

    # navigator.credentials.create()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        excluded = {item["id"] for item in options.get("excludeCredentials", [])}
        if b64url(self.credential_id) in excluded:
            raise NoCredential("this authenticator holds an excluded credential")
        self.user_handle = options["user"]["id"]
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        numbers = self.private_key.public_key().public_numbers()
        cose_key = {
            1: 2,  # kty: EC2
            3: -7,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = (
            bytes(16)  # AAGUID: none (attestation "none")
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cbor2.dumps(cose_key)
        )
        auth_data = self._authenticator_data(rp_id, FLAG_AT | FLAG_BE | FLAG_BS) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        credential_id = b64url(self.credential_id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["hybrid", "internal"],
                # Chromium's toJSON() adds these; servers ignore them.
                "authenticatorData": b64url(auth_data),
                "publicKeyAlgorithm": -7,
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    # navigator.credentials.get()

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        sign_count: int | None = None,
        user_handle: str | None = None,
        tamper_signature: bool = False,
    ) -> dict[str, Any]:
        allowed = {item["id"] for item in options.get("allowCredentials", [])}
        if allowed and b64url(self.credential_id) not in allowed:
            raise NoCredential("none of the allowed credentials is on this authenticator")
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = self._authenticator_data(rp_id, FLAG_BE | FLAG_BS)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if tamper_signature:
            signature = self.private_key.sign(signed + b"!", ec.ECDSA(hashes.SHA256()))
        credential_id = b64url(self.credential_id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": user_handle or self.user_handle,
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _authenticator_data(self, rp_id: str | None, extra_flags: int) -> bytes:
        flags = FLAG_UP | (FLAG_UV if self.user_verified else 0) | extra_flags
        rp_id_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", self.sign_count)
