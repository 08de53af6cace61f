"""OCPP 1.6J: incoming actions mapped to core use cases, core commands mapped to calls."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import msgspec

from cpo.clock import as_utc
from cpo.sessions import service as sessions
from cpo.sessions.schemas import MeterReading, MeterReport, SampledValue, StartReport, StopReport
from cpo.stations import commands as cmd
from cpo.stations import service as stations
from cpo.stations.enums import StationEventKind
from cpo.stations.schemas import BootInfo, StatusReport
from cpo.tokens import service as tokens
from cpo.tokens.schemas import Authorization
from ocpp_bridge import rpc
from ocpp_bridge.connection import ChargerConnection, Route
from ocpp_bridge.v16 import messages as m

log = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"
ERROR_CODES = rpc.PayloadErrorCodes(
    formation_violation="FormationViolation",
    type_constraint="TypeConstraintViolation",
    property_constraint="PropertyConstraintViolation",
    # The 1.6 specification spells it this way.
    occurrence_constraint="OccurenceConstraintViolation",
    protocol_error="ProtocolError",
)
MAX_ID_TAG_LENGTH = 20


def _seconds(moment: datetime) -> datetime:
    """Whole seconds: some charger firmware cannot parse fractional seconds."""
    return moment.replace(microsecond=0)


def id_tag_info(authorization: Authorization) -> m.IdTagInfo:
    group = authorization.group_id
    return m.IdTagInfo(
        status=authorization.status.value,
        expiry_date=_seconds(authorization.expires_at) if authorization.expires_at else None,
        parent_id_tag=group if group and len(group) <= MAX_ID_TAG_LENGTH else None,
    )


def _readings(
    meter_values: list[m.MeterValue] | list[m.TransactionDataMeterValue],
) -> tuple[MeterReading, ...]:
    return tuple(
        MeterReading(
            meter_value.timestamp,
            tuple(
                SampledValue(
                    value=sampled.value,
                    measurand=sampled.measurand or "",
                    context=sampled.context or "",
                    format=sampled.format or "",
                    phase=sampled.phase or "",
                    location=sampled.location or "",
                    unit=sampled.unit or "",
                )
                for sampled in meter_value.sampled_value
            ),
        )
        for meter_value in meter_values
    )


async def authorize(conn: ChargerConnection, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
    authorization = await tokens.authorize(conn.ctx, conn.station, request.id_tag)
    return m.AuthorizeResponse(id_tag_info=id_tag_info(authorization))


async def boot_notification(
    conn: ChargerConnection, request: m.BootNotificationRequest
) -> m.BootNotificationResponse:
    decision = await stations.boot(
        conn.ctx,
        conn.station,
        BootInfo(
            vendor=request.charge_point_vendor,
            model=request.charge_point_model,
            serial_number=request.charge_point_serial_number
            or request.charge_box_serial_number
            or "",
            firmware_version=request.firmware_version or "",
            iccid=request.iccid or "",
            imsi=request.imsi or "",
            meter_type=request.meter_type or "",
            meter_serial_number=request.meter_serial_number or "",
        ),
    )
    return m.BootNotificationResponse(
        status=decision.status.value,
        current_time=_seconds(decision.current_time),
        interval=decision.interval_s,
    )


async def heartbeat(conn: ChargerConnection, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
    now = await stations.heartbeat(conn.ctx, conn.station)
    return m.HeartbeatResponse(current_time=_seconds(now))


async def status_notification(
    conn: ChargerConnection, request: m.StatusNotificationRequest
) -> m.StatusNotificationResponse:
    await stations.report_status(
        conn.ctx,
        conn.station,
        StatusReport(
            connector_id=request.connector_id,
            status=request.status,
            error_code=request.error_code,
            info=request.info or "",
            vendor_id=request.vendor_id or "",
            vendor_error_code=request.vendor_error_code or "",
            timestamp=request.timestamp,
        ),
    )
    return m.StatusNotificationResponse()


async def start_transaction(
    conn: ChargerConnection, request: m.StartTransactionRequest
) -> m.StartTransactionResponse:
    result = await sessions.start_transaction(
        conn.ctx,
        conn.station,
        StartReport(
            connector_id=request.connector_id,
            id_tag=request.id_tag,
            meter_start_wh=request.meter_start,
            timestamp=request.timestamp,
            reservation_id=request.reservation_id,
        ),
    )
    return m.StartTransactionResponse(
        id_tag_info=id_tag_info(result.authorization), transaction_id=int(result.transaction_id)
    )


async def stop_transaction(
    conn: ChargerConnection, request: m.StopTransactionRequest
) -> m.StopTransactionResponse:
    result = await sessions.stop_transaction(
        conn.ctx,
        conn.station,
        StopReport(
            transaction_id=str(request.transaction_id),
            meter_stop_wh=request.meter_stop,
            timestamp=request.timestamp,
            id_tag=request.id_tag,
            reason=request.reason,
            transaction_data=_readings(request.transaction_data or []),
        ),
    )
    if result.authorization is None:
        return m.StopTransactionResponse()
    return m.StopTransactionResponse(id_tag_info=id_tag_info(result.authorization))


class _LenientStop(msgspec.Struct, rename="camel"):
    """The part of a StopTransaction we cannot do without."""

    transaction_id: int
    meter_stop: int
    timestamp: datetime
    id_tag: str | None = None


def lenient_stop(payload: msgspec.Raw) -> m.StopTransactionRequest | None:
    """A stop with a vendor-specific reason or odd transaction data is still a stop.

    Refusing it would make the charger retry forever and the session never end, so the
    fields that are needed are taken and the rest is kept verbatim as a station event.
    """
    try:
        core = msgspec.json.decode(payload, type=_LenientStop)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    id_tag = core.id_tag if core.id_tag and len(core.id_tag) <= MAX_ID_TAG_LENGTH else None
    request = m.StopTransactionRequest(
        transaction_id=core.transaction_id,
        meter_stop=core.meter_stop,
        timestamp=core.timestamp,
        id_tag=id_tag,
    )
    return _StopWithRejectedFields(request, bytes(payload))  # type: ignore[return-value]


class _StopWithRejectedFields(msgspec.Struct, frozen=True):
    request: m.StopTransactionRequest
    raw: bytes


async def stop_transaction_route(
    conn: ChargerConnection, request: m.StopTransactionRequest | _StopWithRejectedFields
) -> m.StopTransactionResponse:
    if isinstance(request, _StopWithRejectedFields):
        await stations.record_event(
            conn.ctx,
            conn.station,
            StationEventKind.REJECTED_STOP_FIELDS,
            {"payload": json.loads(request.raw)},
        )
        return await stop_transaction(conn, request.request)
    return await stop_transaction(conn, request)


async def meter_values(
    conn: ChargerConnection, request: m.MeterValuesRequest
) -> m.MeterValuesResponse:
    await conn.bridge.meter_writer.write(
        conn.station,
        MeterReport(
            connector_id=request.connector_id,
            transaction_id=None if request.transaction_id is None else str(request.transaction_id),
            readings=_readings(request.meter_value),
        ),
    )
    return m.MeterValuesResponse()


async def data_transfer(
    conn: ChargerConnection, request: m.DataTransferRequest
) -> m.DataTransferResponse:
    await stations.record_event(
        conn.ctx,
        conn.station,
        StationEventKind.DATA_TRANSFER,
        {"vendorId": request.vendor_id, "messageId": request.message_id, "data": request.data},
    )
    return m.DataTransferResponse(status="Accepted")


async def firmware_status_notification(
    conn: ChargerConnection, request: m.FirmwareStatusNotificationRequest
) -> m.FirmwareStatusNotificationResponse:
    await stations.record_event(
        conn.ctx, conn.station, StationEventKind.FIRMWARE_STATUS, {"status": request.status}
    )
    return m.FirmwareStatusNotificationResponse()


async def signed_firmware_status_notification(
    conn: ChargerConnection, request: m.SignedFirmwareStatusNotificationRequest
) -> m.SignedFirmwareStatusNotificationResponse:
    await stations.record_event(
        conn.ctx,
        conn.station,
        StationEventKind.FIRMWARE_STATUS,
        {"status": request.status, "requestId": request.request_id},
    )
    return m.SignedFirmwareStatusNotificationResponse()


async def diagnostics_status_notification(
    conn: ChargerConnection, request: m.DiagnosticsStatusNotificationRequest
) -> m.DiagnosticsStatusNotificationResponse:
    await stations.record_event(
        conn.ctx, conn.station, StationEventKind.DIAGNOSTICS_STATUS, {"status": request.status}
    )
    return m.DiagnosticsStatusNotificationResponse()


async def log_status_notification(
    conn: ChargerConnection, request: m.LogStatusNotificationRequest
) -> m.LogStatusNotificationResponse:
    await stations.record_event(
        conn.ctx,
        conn.station,
        StationEventKind.LOG_STATUS,
        {"status": request.status, "requestId": request.request_id},
    )
    return m.LogStatusNotificationResponse()


async def security_event_notification(
    conn: ChargerConnection, request: m.SecurityEventNotificationRequest
) -> m.SecurityEventNotificationResponse:
    await stations.record_event(
        conn.ctx,
        conn.station,
        StationEventKind.SECURITY_EVENT,
        {"type": request.type, "techInfo": request.tech_info},
        charger_timestamp=as_utc(request.timestamp),
    )
    return m.SecurityEventNotificationResponse()


async def sign_certificate(
    conn: ChargerConnection, request: m.SignCertificateRequest
) -> m.SignCertificateResponse:
    # No certificate authority is connected yet (security profile 3): say no, keep the CSR.
    await stations.record_event(
        conn.ctx, conn.station, StationEventKind.SIGN_CERTIFICATE, {"csr": request.csr}
    )
    return m.SignCertificateResponse(status="Rejected")


def _route(handler: Any, action: str, fallback: Any = None) -> Route:
    return Route(handler, msgspec.json.Decoder(m.REQUEST_TYPES[action]), fallback)


ROUTES: dict[str, Route] = {
    "Authorize": _route(authorize, "Authorize"),
    "BootNotification": _route(boot_notification, "BootNotification"),
    "DataTransfer": _route(data_transfer, "DataTransfer"),
    "DiagnosticsStatusNotification": _route(
        diagnostics_status_notification, "DiagnosticsStatusNotification"
    ),
    "FirmwareStatusNotification": _route(
        firmware_status_notification, "FirmwareStatusNotification"
    ),
    "Heartbeat": _route(heartbeat, "Heartbeat"),
    "LogStatusNotification": _route(log_status_notification, "LogStatusNotification"),
    "MeterValues": _route(meter_values, "MeterValues"),
    "SecurityEventNotification": _route(security_event_notification, "SecurityEventNotification"),
    "SignCertificate": _route(sign_certificate, "SignCertificate"),
    "SignedFirmwareStatusNotification": _route(
        signed_firmware_status_notification, "SignedFirmwareStatusNotification"
    ),
    "StartTransaction": _route(start_transaction, "StartTransaction"),
    "StatusNotification": _route(status_notification, "StatusNotification"),
    "StopTransaction": _route(stop_transaction_route, "StopTransaction", lenient_stop),
}


async def execute(
    conn: ChargerConnection, command: cmd.Command, timeout_s: float
) -> cmd.CommandResult:
    """Run a core command as the matching OCPP 1.6 call."""
    match command:
        case cmd.RemoteStart(id_tag=id_tag, connector_id=connector_id):
            answer: Any = await conn.call(
                "RemoteStartTransaction",
                m.RemoteStartTransactionRequest(id_tag=id_tag, connector_id=connector_id),
                m.RemoteStartTransactionResponse,
                timeout_s,
            )
        case cmd.RemoteStop(transaction_id=transaction_id):
            answer = await conn.call(
                "RemoteStopTransaction",
                m.RemoteStopTransactionRequest(transaction_id=int(transaction_id)),
                m.RemoteStopTransactionResponse,
                timeout_s,
            )
        case cmd.ReserveNow(
            connector_id=connector_id,
            expires_at=expires_at,
            id_tag=id_tag,
            reservation_id=reservation_id,
            parent_id_tag=parent_id_tag,
        ):
            answer = await conn.call(
                "ReserveNow",
                m.ReserveNowRequest(
                    connector_id=connector_id,
                    expiry_date=_seconds(expires_at),
                    id_tag=id_tag,
                    reservation_id=reservation_id,
                    parent_id_tag=parent_id_tag,
                ),
                m.ReserveNowResponse,
                timeout_s,
            )
        case cmd.CancelReservation(reservation_id=reservation_id):
            answer = await conn.call(
                "CancelReservation",
                m.CancelReservationRequest(reservation_id=reservation_id),
                m.CancelReservationResponse,
                timeout_s,
            )
        case cmd.Reset(kind=kind):
            answer = await conn.call("Reset", m.ResetRequest(type=kind), m.ResetResponse, timeout_s)
        case cmd.UnlockConnector(connector_id=connector_id):
            answer = await conn.call(
                "UnlockConnector",
                m.UnlockConnectorRequest(connector_id=connector_id),
                m.UnlockConnectorResponse,
                timeout_s,
            )
        case cmd.ChangeAvailability(connector_id=connector_id, operative=operative):
            answer = await conn.call(
                "ChangeAvailability",
                m.ChangeAvailabilityRequest(
                    connector_id=connector_id, type="Operative" if operative else "Inoperative"
                ),
                m.ChangeAvailabilityResponse,
                timeout_s,
            )
        case cmd.TriggerMessage(message=message, connector_id=connector_id):
            answer = await conn.call(
                "TriggerMessage",
                m.TriggerMessageRequest(requested_message=message, connector_id=connector_id),
                m.TriggerMessageResponse,
                timeout_s,
            )
        case cmd.GetConfiguration(keys=keys):
            configuration = await conn.call(
                "GetConfiguration",
                m.GetConfigurationRequest(key=list(keys) or None),
                m.GetConfigurationResponse,
                timeout_s,
            )
            return cmd.CommandResult(
                status="Accepted",
                configuration=tuple(
                    cmd.ConfigurationValue(item.key, item.readonly, item.value)
                    for item in configuration.configuration_key or []
                ),
                unknown_keys=tuple(configuration.unknown_key or []),
            )
        case cmd.ChangeConfiguration(key=key, value=value):
            answer = await conn.call(
                "ChangeConfiguration",
                m.ChangeConfigurationRequest(key=key, value=value),
                m.ChangeConfigurationResponse,
                timeout_s,
            )
        case cmd.ClearCache():
            answer = await conn.call(
                "ClearCache", m.ClearCacheRequest(), m.ClearCacheResponse, timeout_s
            )
        case cmd.SendLocalList(list_version=version, update_type=update_type, entries=entries):
            answer = await conn.call(
                "SendLocalList",
                m.SendLocalListRequest(
                    list_version=version,
                    update_type=update_type,
                    local_authorization_list=[
                        m.AuthorizationData(
                            id_tag=entry.id_tag,
                            id_tag_info=None
                            if entry.status is None
                            else m.IdTagInfo(
                                status=entry.status,
                                expiry_date=entry.expires_at and _seconds(entry.expires_at),
                                parent_id_tag=entry.parent_id_tag,
                            ),
                        )
                        for entry in entries
                    ],
                ),
                m.SendLocalListResponse,
                timeout_s,
            )
        case cmd.GetLocalListVersion():
            version_answer = await conn.call(
                "GetLocalListVersion",
                m.GetLocalListVersionRequest(),
                m.GetLocalListVersionResponse,
                timeout_s,
            )
            return cmd.CommandResult(status="Accepted", list_version=version_answer.list_version)
    return cmd.CommandResult(status=answer.status)


class OcppV16:
    subprotocol = SUBPROTOCOL
    error_codes = ERROR_CODES
    routes = ROUTES
    known_actions = frozenset(m.REQUEST_TYPES)

    async def execute(
        self, connection: ChargerConnection, command: cmd.Command, timeout_s: float
    ) -> cmd.CommandResult:
        return await execute(connection, command, timeout_s)

    def check_outgoing(self, action: str, frame: bytes, *, is_call: bool) -> None:
        """Validate a frame we send against the official JSON schema (tests switch it on)."""
        from ocpp.messages import Call, CallResult, _validate_payload

        parts = json.loads(frame)
        message = (
            Call(parts[1], action, parts[3]) if is_call else CallResult(parts[1], parts[2], action)
        )
        # The package's own validation, with its decimal handling of charging schedules.
        _validate_payload(message, "1.6")
