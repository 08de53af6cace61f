"""Small pieces both fakes share: ids, clocks, JSON, Stripe's form encoding, money."""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

JSON = dict[str, Any]

_ALPHANUMERIC = string.ascii_letters + string.digits
_UPPER_ALPHANUMERIC = string.ascii_uppercase + string.digits

# Currencies whose minor unit is the major unit (Stripe's "zero-decimal" list, abridged;
# PayPal agrees on these three).
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "HUF", "TWD", "CLP", "VND", "ISK", "UGX"})


def stripe_id(prefix: str) -> str:
    """`pi_3Pq…`-style: prefix, underscore, 24 random alphanumerics."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHANUMERIC) for _ in range(24))}"


def paypal_id(length: int = 17) -> str:
    """PayPal's resource ids are upper-case alphanumerics (orders and captures: 17)."""
    return "".join(secrets.choice(_UPPER_ALPHANUMERIC) for _ in range(length))


def random_token(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def now_unix() -> int:
    return int(time.time())


def now_iso() -> str:
    """RFC 3339 in UTC with a `Z`, as PayPal writes it (`2024-05-01T12:00:00Z`)."""
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_json(value: Any, *, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(value: Any) -> str:
    """A stable text of a JSON value, to compare requests (idempotency) and bodies."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- Stripe's form encoding -------------------------------------------------------------

_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A form key that does not follow `name[sub][...]`."""


def decode_stripe_form(body: str) -> JSON:
    """Decode `a=1&metadata[ref]=x&payment_method_types[0]=card&expand[]=y` into nested
    dicts and lists, as Stripe's API reads its form-encoded requests.

    `a[]` appends; `a[0]`, `a[1]` index (what stripe-python sends); a dict whose keys are all
    indices becomes a list. Values stay strings: each endpoint coerces what it reads.
    """
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        head, _, rest = raw_key.partition("[")
        if not head:
            raise FormError(f"Invalid parameter name: {raw_key!r}")
        parts = [head]
        if rest:
            tail = "[" + rest
            parsed = _KEY_PART.findall(tail)
            if "".join(f"[{p}]" for p in parsed) != tail:
                raise FormError(f"Invalid parameter name: {raw_key!r}")
            parts.extend(parsed)
        _assign(root, parts, value)
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _assign(container: dict[str, Any], parts: list[str], value: str) -> None:
    node = container
    for index, part in enumerate(parts):
        key = str(len(node)) if part == "" else part
        last = index == len(parts) - 1
        if last:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


# -- Money ------------------------------------------------------------------------------


def minor_digits(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def decimal_to_minor(value: str, currency: str) -> int | None:
    """PayPal's `"12.34"` in minor units, or None when it is not a valid amount string
    for the currency (wrong number of decimals, sign, garbage)."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
        return None
    digits = minor_digits(currency)
    _, _, fraction = value.partition(".")
    if len(fraction) > digits:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return int(amount.scaleb(digits))


def minor_to_decimal(amount_minor: int, currency: str) -> str:
    digits = minor_digits(currency)
    if digits == 0:
        return str(amount_minor)
    return f"{Decimal(amount_minor).scaleb(-digits):.{digits}f}"


def format_money(amount_minor: int, currency: str) -> str:
    """For the HTML pages: `50.00 EUR`."""
    return f"{minor_to_decimal(amount_minor, currency)} {currency.upper()}"


def as_str_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): str(item) for key, item in value.items()}
