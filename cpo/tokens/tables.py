from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from cpo.accounts.tables import Customer, User
from cpo.operators.tables import Operator
from cpo.stations.tables import ChargeStation
from cpo.tokens.enums import PushMethod, PushState, TokenStatus, TokenType


class IdToken(Table, tablename="id_tokens"):
    """Something that authorizes charging: an RFID card, an app or ad hoc token."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    # Normalised (upper case, trimmed) so that chargers reporting hex in either case agree.
    uid = Varchar(length=36, index=True)
    type = Varchar(length=16, choices=TokenType, default=TokenType.RFID)
    status = Varchar(length=10, choices=TokenStatus, default=TokenStatus.ACTIVE)
    expires_at = Timestamptz(null=True, default=None)
    # OCPP parentIdTag / OCPI group_id: tokens of one group share a contract.
    group_id = Varchar(length=36, null=True, default=None, index=True)
    # e-Mobility Account Identifier where the token belongs to a contract.
    contract_id = Varchar(length=36, null=True, default=None)
    # The e-mobility provider that issued a roaming token (OCPI country code and party id);
    # empty for the operator's own tokens.
    issuer_country_code = Varchar(length=2, default="")
    issuer_party_id = Varchar(length=3, default="")
    # Selects contract tariffs (e.g. "employees"); contracts set it, ad hoc tokens have none.
    customer_group = Varchar(length=64, null=True, default=None)
    label = Varchar(length=200, default="")
    # The contract customer whose card or app token this is (its sessions show in the
    # customer's account), and the user who holds it: the app token's user, or the employee
    # a company card was handed to. Cards of a customer without a holder are the customer's.
    customer = ForeignKey(
        references=Customer, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    holder = ForeignKey(
        references=User, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    # Fleet cards may charge several vehicles at once; everyone else gets ConcurrentTx.
    allow_concurrent_sessions = Boolean(default=False)
    blocked_at = Timestamptz(null=True, default=None)
    # Who blocked it (BlockedBy): a customer may unblock only what a customer blocked.
    blocked_by = Varchar(length=16, default="")
    # A company's cost centre the card's sessions are booked to (its fleet manager sets it);
    # each charge detail record keeps the one it was charged under.
    cost_centre = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class StationAuthList(Table, tablename="station_auth_lists"):
    """What we know of a station's local authorization list: the version we last set and
    whether it keeps one (from its configuration), plus the lease of the node pushing to it."""

    id = Serial(primary_key=True)

    station = ForeignKey(
        references=ChargeStation, on_delete=OnDelete.cascade, unique=True, index=True
    )
    list_version = Integer(default=0)
    # The method its configuration allowed at the last push; null before the first.
    method = Varchar(length=16, choices=PushMethod, null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    # A node pushing to the station holds it until then (one update at a time per station).
    claimed_until = Timestamptz(null=True, default=None)


class TokenPush(Table, tablename="token_pushes"):
    """A card's current status on its way to one station (one row per card and station).

    A newer change of the card re-queues the row (`revision` + 1); what is sent is always the
    card's status at the time of sending, so retries and coalesced changes are safe."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    token = ForeignKey(references=IdToken, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    # The change that queued it: "block" or "unblock".
    reason = Varchar(length=16)
    state = Varchar(length=16, choices=PushState, default=PushState.PENDING, index=True)
    method = Varchar(length=16, choices=PushMethod, null=True, default=None)
    # The station's answer word (Accepted, Failed, VersionMismatch, NotSupported…) or why
    # nothing was sent yet (offline, no answer).
    answer = Varchar(length=200, default="")
    list_version = Integer(null=True, default=None)
    revision = Integer(default=1)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_attempt_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
