"""A small software authenticator: real WebAuthn answers for the server's real checks.

It keeps P-256 keys (cryptography), writes the authenticator data and the "none"
attestation in CBOR (cbor2), and signs like a platform passkey: user present and
verified, backup eligible and backed up. Tests bend one thing at a time (the origin, the
relying party, the counter) to see the server refuse it.
"""

import hashlib
import json
import secrets
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes.fromhex("ea9b8d664d011d213ce4b6b48cb575d4")  # any 16 bytes


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str = "https://id.example.test"
    credentials: list[Credential] = field(default_factory=list)
    counts: bool = True  # False: a synced passkey whose counter stays 0

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def create(
        self,
        options: str | dict,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV | BE | BS | AT,
    ) -> str:
        """Answer navigator.credentials.create(): a new key pair for the options' user."""
        options = json.loads(options) if isinstance(options, str | bytes) else options
        rp_id = rp_id or options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        credential_id = secrets.token_bytes(16)
        credential = Credential(credential_id, key, rp_id, unb64(options["user"]["id"]))
        self.credentials.append(credential)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", 0)
            + AAGUID
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cose_key
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps(
            {
                "id": b64(credential_id),
                "rawId": b64(credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "attestationObject": b64(attestation),
                    "transports": ["internal", "hybrid"],
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    def get(
        self,
        options: str | dict,
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV | BE | BS,
        sign_count: int | None = None,
    ) -> str:
        """Answer navigator.credentials.get() with a key of this authenticator (the newest)."""
        options = json.loads(options) if isinstance(options, str | bytes) else options
        credential = credential or self.credentials[-1]
        if sign_count is None:
            if self.counts:
                credential.sign_count += 1
            sign_count = credential.sign_count
        rp_id = rp_id or options.get("rpId") or credential.rp_id
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64(credential.credential_id),
                "rawId": b64(credential.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "authenticatorData": b64(auth_data),
                    "signature": b64(signature),
                    "userHandle": b64(credential.user_handle),
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )
