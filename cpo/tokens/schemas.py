from __future__ import annotations

from datetime import datetime

import msgspec

from cpo.tokens.enums import AuthorizationStatus, TokenStatus, TokenType


class Authorization(msgspec.Struct, frozen=True):
    """The answer for a token: OCPP IdTagInfo in protocol-neutral words."""

    status: AuthorizationStatus
    token_id: int | None = None
    token_type: TokenType | None = None
    expires_at: datetime | None = None
    group_id: str | None = None


class TokenSpec(msgspec.Struct, frozen=True, kw_only=True):
    operator_id: int
    uid: str
    type: TokenType = TokenType.RFID
    status: TokenStatus = TokenStatus.ACTIVE
    expires_at: datetime | None = None
    group_id: str | None = None
    contract_id: str | None = None
    label: str = ""
    allow_concurrent_sessions: bool = False
    customer_group: str | None = None
