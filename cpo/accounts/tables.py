from piccolo.columns import (
    BigInt,
    BigSerial,
    Boolean,
    Date,
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

from cpo.accounts.enums import ChallengePurpose, CustomerKind, LoginMethod, Role, ThrottleScope
from cpo.operators.tables import Operator


class Customer(Table, tablename="customers"):
    """A contract customer of one operator: a person or a company, billed monthly. Its RFID
    cards and its users' app tokens point here (`id_tokens.customer`)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=8, choices=CustomerKind, default=CustomerKind.PERSON)
    name = Varchar(length=200)
    email = Varchar(length=254, default="")  # where invoices go
    vat_id = Varchar(length=20, default="")
    # Selects the contract tariff (tariff assignments of scope customer_group); copied onto
    # the customer's tokens, which is where a session's tariff is looked up.
    customer_group = Varchar(length=64, null=True, default=None)
    # The billing address printed on invoices (§ 14 UStG asks for the recipient's address).
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=16, default="")
    city = Varchar(length=100, default="")
    country_code = Varchar(length=2, default="DE")  # ISO 3166-1 alpha-2
    payment_terms_days = Integer(default=14)  # invoices are due this many days after issue
    # The contract's term, in the operator's calendar (Europe/Berlin). Its end is copied onto
    # the customer's cards and app tokens as their expiry, so that stations (and their local
    # lists) refuse them from the day after, like any expired card.
    contract_starts_on = Date(null=True, default=None)
    contract_ends_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="users"):
    """Someone who logs in: a customer's driver or fleet manager, or operator staff.

    The e-mail address is unique per operator regardless of case (`email_key`, a unique
    index on (operator, email_key)); the same address may have accounts at two operators.
    """

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    customer = ForeignKey(
        references=Customer, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    email = Varchar(length=254)  # as the user typed it
    email_key = Varchar(length=254)  # trimmed and lower-cased, for lookups
    display_name = Varchar(length=200, default="")
    role = Varchar(length=16, choices=Role, default=Role.DRIVER)
    language = Varchar(length=8, default="en")
    # The WebAuthn user handle: random, never personal data (base64url of 32 bytes).
    webauthn_handle = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    disabled_at = Timestamptz(null=True, default=None)


class Passkey(Table, tablename="passkeys"):
    """A WebAuthn credential of a user. Ids and keys are kept base64url-encoded."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    credential_id = Varchar(length=1400, unique=True)
    public_key = Text()  # COSE_Key
    sign_count = BigInt(default=0)
    transports = Varchar(length=200, default="")  # comma-separated, as the browser reported
    aaguid = Varchar(length=36, default="")
    backed_up = Boolean(default=False)
    name = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class LoginSession(Table, tablename="login_sessions"):
    """A logged-in browser. The cookie carries a random token; only its SHA-256 is kept."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    # Sent back in X-CSRF-Token with every state-changing request.
    csrf_token = Varchar(length=64)
    method = Varchar(length=16, choices=LoginMethod)
    user_agent = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class LoginLink(Table, tablename="login_links"):
    """A one-time login link sent by e-mail; only the SHA-256 of its token is kept."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class WebAuthnChallenge(Table, tablename="webauthn_challenges"):
    """A challenge we issued, kept until it is answered once or expires: the browser's copy is
    never trusted. A registration is bound to the login session that asked for it; an
    authentication to the ceremony id handed to the browser (only its SHA-256 is kept)."""

    id = Serial(primary_key=True)
    purpose = Varchar(length=16, choices=ChallengePurpose)
    ceremony_hash = Varchar(length=64, unique=True)
    challenge = Varchar(length=128)  # base64url
    login_session = ForeignKey(
        references=LoginSession, on_delete=OnDelete.cascade, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class AuthThrottle(Table, tablename="auth_throttle"):
    """One login request, counted against its e-mail address and its client, each kept only
    as a keyed hash; rows older than the longest window are deleted as new ones come."""

    id = BigSerial(primary_key=True)
    scope = Varchar(length=8, choices=ThrottleScope)
    key_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
