"""OCPP-J framing (the RPC layer shared by every OCPP version), decoded with msgspec.

A frame is a JSON array: `[2, id, action, payload]` (Call), `[3, id, payload]` (CallResult)
or `[4, id, code, description, details]` (CallError). Decoding is split in two: the frame
here, the payload against the action's Struct in the version module, so that a broken frame
and a broken payload get the CallError each deserves.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

CALL = 2
CALL_RESULT = 3
CALL_ERROR = 4
# OCPP 2.0.1 §4.2.3 (and common 1.6 practice): the id to use when a frame's own id is unreadable.
UNKNOWN_MESSAGE_ID = "-1"
MAX_MESSAGE_ID_LENGTH = 36

_frame_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_str_decoder = msgspec.json.Decoder(str)
_int_decoder = msgspec.json.Decoder(int)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class RpcError(Exception):
    """A frame or payload that must be answered with a CallError."""

    def __init__(
        self,
        code: str,
        description: str,
        message_id: str = UNKNOWN_MESSAGE_ID,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.message_id = message_id
        self.details = details or {}


class Call(msgspec.Struct, frozen=True):
    message_id: str
    action: str
    payload: msgspec.Raw


class CallResult(msgspec.Struct, frozen=True):
    message_id: str
    payload: msgspec.Raw


class CallError(msgspec.Struct, frozen=True):
    message_id: str
    code: str
    description: str
    details: Any


Frame = Call | CallResult | CallError


def decode_frame(data: str | bytes, *, formation_violation: str) -> Frame:
    """Split a frame; raises RpcError (`formation_violation` is the version's spelling)."""
    try:
        parts = _frame_decoder.decode(data)
    except msgspec.DecodeError:
        raise RpcError(formation_violation, "frame is not a JSON array") from None
    if len(parts) < 3:
        raise RpcError(formation_violation, "frame has fewer than 3 elements")
    message_id = _message_id(parts[1], formation_violation)
    try:
        message_type = _int_decoder.decode(parts[0])
    except msgspec.DecodeError:
        raise RpcError(formation_violation, "message type is not a number", message_id) from None
    if message_type == CALL:
        if len(parts) != 4:
            raise RpcError(formation_violation, "a Call has 4 elements", message_id)
        try:
            action = _str_decoder.decode(parts[2])
        except msgspec.DecodeError:
            raise RpcError(formation_violation, "action is not a string", message_id) from None
        return Call(message_id, action, parts[3])
    if message_type == CALL_RESULT:
        if len(parts) != 3:
            raise RpcError(formation_violation, "a CallResult has 3 elements", message_id)
        return CallResult(message_id, parts[2])
    if message_type == CALL_ERROR:
        if len(parts) not in (4, 5):
            raise RpcError(formation_violation, "a CallError has 5 elements", message_id)
        try:
            code = _str_decoder.decode(parts[2])
            description = _str_decoder.decode(parts[3])
        except msgspec.DecodeError:
            code, description = "GenericError", ""
        details = _any_decoder.decode(parts[4]) if len(parts) == 5 else {}
        return CallError(message_id, code, description, details)
    raise RpcError(formation_violation, f"unknown message type {message_type}", message_id)


def _message_id(raw: msgspec.Raw, formation_violation: str) -> str:
    try:
        message_id = _str_decoder.decode(raw)
    except msgspec.DecodeError:
        raise RpcError(formation_violation, "message id is not a string") from None
    if not 0 < len(message_id) <= MAX_MESSAGE_ID_LENGTH:
        raise RpcError(formation_violation, "message id must have 1 to 36 characters")
    return message_id


def encode_call(message_id: str, action: str, payload: msgspec.Struct) -> bytes:
    return _encoder.encode((CALL, message_id, action, payload))


def encode_call_result(message_id: str, payload: msgspec.Struct) -> bytes:
    return _encoder.encode((CALL_RESULT, message_id, payload))


def encode_call_error(error: RpcError) -> bytes:
    return _encoder.encode(
        (CALL_ERROR, error.message_id, error.code, error.description[:255], error.details)
    )


_MISSING = re.compile(r"^Object missing required field")
_TYPE = re.compile(r"^Expected `(\w+)`, got `(\w+)`")
_LENGTH = re.compile(r"^Expected `(str|array)` of length")
_RANGE = re.compile(r"^Expected `(int|float)` [<>]=?")
_ENUM = re.compile(r"^Invalid enum value")
_DATETIME = re.compile(r"^Invalid RFC3339 encoded datetime|^Only UTC offsets")


class PayloadErrorCodes(msgspec.Struct, frozen=True):
    """How one OCPP version spells the payload error codes."""

    formation_violation: str
    type_constraint: str
    property_constraint: str
    occurrence_constraint: str
    protocol_error: str


def payload_error(
    error: msgspec.ValidationError | msgspec.DecodeError,
    codes: PayloadErrorCodes,
    message_id: str,
    action: str,
) -> RpcError:
    """Classify a payload that failed validation the way the OCPP error codes mean it."""
    text = str(error)
    if isinstance(error, msgspec.DecodeError) and not isinstance(error, msgspec.ValidationError):
        code = codes.formation_violation
    elif _MISSING.match(text):
        code = codes.protocol_error  # "Payload for Action is incomplete"
    elif text.startswith("Expected `object`") and " - at `$." not in text:
        code = codes.formation_violation
    elif _LENGTH.match(text):
        code = (
            codes.occurrence_constraint
            if text.startswith("Expected `array`")
            else codes.type_constraint
        )
    elif _RANGE.match(text) or _ENUM.match(text):
        code = codes.property_constraint
    elif _TYPE.match(text) or _DATETIME.match(text):
        code = codes.type_constraint
    else:
        code = codes.property_constraint
    return RpcError(code, f"{action}: {text}", message_id)
