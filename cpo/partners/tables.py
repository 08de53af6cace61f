from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.partners.enums import AuthorizationMethod, CommandStatus, PartnerStatus, PushStatus
from cpo.sessions.tables import ChargingSession


class RoamingPartner(Table, tablename="roaming_partners"):
    """An e-mobility provider or hub connected to one of our operators (its CPO party)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    status = Varchar(length=16, choices=PartnerStatus, default=PartnerStatus.OFFERED, index=True)
    # SHA-256 (hex) of the credentials token the partner presents to us: the registration
    # token until it registers, then the one we gave it in the exchange. Never stored plain.
    incoming_token_hash = Varchar(length=64, null=True, default=None, unique=True)
    incoming_token_prefix = Varchar(length=12, default="")
    # The credentials token we present to the partner, sealed with the secret key.
    outgoing_token_sealed = Text(default="")
    versions_url = Varchar(length=500, default="")
    version = Varchar(length=10, default="")
    # OCPI Endpoint objects of the chosen version: [{"identifier", "role", "url"}].
    endpoints = JSON(default="[]")
    # OCPI CredentialsRole objects as the partner sent them.
    roles = JSON(default="[]")
    # The first party of the partner's roles (the one a direct partner has).
    country_code = Varchar(length=2, default="")
    party_id = Varchar(length=3, default="")
    is_hub = Boolean(default=False)
    last_error = Text(default="")
    registered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PartnerParty(Table, tablename="roaming_partner_parties"):
    """Each party (country code + party id + role) a partner speaks for; a hub has many."""

    id = Serial(primary_key=True)
    partner = ForeignKey(references=RoamingPartner, on_delete=OnDelete.cascade, index=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=8)
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)


class PartnerToken(Table, tablename="roaming_tokens"):
    """A token an e-mobility provider pushed to us (OCPI Token object, field by field)."""

    id = Serial(primary_key=True)
    partner = ForeignKey(references=RoamingPartner, on_delete=OnDelete.cascade, index=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    # "<operator>|<country>|<party>|<type>|<UID>": one row per token of a provider.
    token_key = Varchar(length=120, unique=True)
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)
    uid = Varchar(length=36)
    # Upper case and trimmed, as chargers report RFID UIDs (cpo.tokens.rules.normalize_uid).
    uid_normalized = Varchar(length=36, index=True)
    type = Varchar(length=16)
    contract_id = Varchar(length=36)
    visual_number = Varchar(length=64, null=True, default=None)
    issuer = Varchar(length=64)
    group_id = Varchar(length=36, null=True, default=None)
    valid = Boolean()
    whitelist = Varchar(length=16)
    language = Varchar(length=2, null=True, default=None)
    default_profile_type = Varchar(length=16, null=True, default=None)
    energy_contract = JSON(null=True, default=None)
    last_updated = Timestamptz()
    received_at = Timestamptz(default=TimestamptzNow())


class RoamingAuthorization(Table, tablename="roaming_authorizations"):
    """A partner's token allowed at one of our stations: the evidence a session is the
    partner's (and which reference its session and CDR carry)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    partner = ForeignKey(references=RoamingPartner, on_delete=OnDelete.cascade, index=True)
    uid_normalized = Varchar(length=36, index=True)
    station_identity = Varchar(length=48)
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)
    uid = Varchar(length=36)
    token_type = Varchar(length=16)
    contract_id = Varchar(length=36)
    authorization_reference = Varchar(length=36, default="")
    method = Varchar(length=16, choices=AuthorizationMethod)
    decided_at = Timestamptz()
    # The session it led to, once the charger started one, and what the partner has of it.
    session = ForeignKey(
        references=ChargingSession, on_delete=OnDelete.set_null, null=True, default=None
    )
    pushed_session_state = Varchar(length=12, default="")
    pushed_session_at = Timestamptz(null=True, default=None)
    cdr_queued = Boolean(default=False)
    # The newest of the session's records (original, credit, rebill) queued for the partner.
    last_queued_cdr = Integer(default=0)


class RoamingPush(Table, tablename="roaming_pushes"):
    """A request we owe a partner (session, CDR, location update, command result), kept
    until the partner took it: retried with back-off, and visible when it fails."""

    id = Serial(primary_key=True)
    partner = ForeignKey(references=RoamingPartner, on_delete=OnDelete.cascade, index=True)
    module = Varchar(length=16)
    # What the request is about (e.g. "session:12", "cdr:7"): pushes of one object go out
    # in order, one at a time.
    object_key = Varchar(length=64, index=True)
    method = Varchar(length=6)
    url = Text()
    # The party the request is for (OCPI-to-* headers): a hub forwards it there. Empty: the
    # partner's own party.
    to_country_code = Varchar(length=2, default="")
    to_party_id = Varchar(length=3, default="")
    body = Text(default="")
    status = Varchar(length=8, choices=PushStatus, default=PushStatus.PENDING, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_http_status = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class RoamingCommand(Table, tablename="roaming_commands"):
    """A command a partner sent (START_SESSION, STOP_SESSION…), until its result went out."""

    id = Serial(primary_key=True)
    partner = ForeignKey(references=RoamingPartner, on_delete=OnDelete.cascade, index=True)
    command = Varchar(length=24)
    response_url = Varchar(length=500)
    request = JSON()
    status = Varchar(length=24, choices=CommandStatus, default=CommandStatus.PENDING)
    session = ForeignKey(
        references=ChargingSession, on_delete=OnDelete.set_null, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    answered_at = Timestamptz(null=True, default=None)
