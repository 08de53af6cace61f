"""Sealing secrets at rest (payment provider keys) with the platform's secret key.

Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`: authenticated, so a tampered
value fails to open instead of decrypting to garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class SealBroken(ValueError):
    """The sealed value was altered, or sealed with another secret key."""


def _fernet(secret_key: str) -> Fernet:
    key = hashlib.sha256(b"cpo-sealing:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, plain: str) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str:
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SealBroken("cannot open a sealed secret: wrong secret key, or altered") from None


def signature(secret_key: str, purpose: str, value: str) -> str:
    """An HMAC of `value` for one purpose: for tokens we can check without storing them."""
    message = f"{purpose}:{value}".encode()
    digest = hmac.new(hashlib.sha256(secret_key.encode()).digest(), message, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def signed_number(secret_key: str, purpose: str, number: int) -> str:
    """`<number>.<signature>`: a key to a record that needs no storage and cannot be
    guessed (drivers' links to their sessions and reports)."""
    return f"{number}.{signature(secret_key, purpose, str(number))[:32]}"


def number_of(secret_key: str, purpose: str, token: str) -> int | None:
    """The number in a token made by `signed_number`, or None when it does not check out."""
    number, _, sent = token.partition(".")
    if not number.isdigit() or len(token) > 64:
        return None
    expected = signed_number(secret_key, purpose, int(number)).partition(".")[2]
    return int(number) if hmac.compare_digest(sent, expected) else None
