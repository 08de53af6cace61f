from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Operator(Table, tablename="operators"):
    """A charge point operator (tenant). Each operator is its own merchant and brand."""

    id = Serial(primary_key=True)

    slug = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    legal_name = Varchar(length=200, default="")
    # ISO 3166 alpha-2 country code and three-character party id, as in EVSE IDs and OCPI.
    country_code = Varchar(length=2)
    party_id = Varchar(length=3)
    currency = Varchar(length=3, default="EUR")
    brand_primary_color = Varchar(length=7, default="#0b5fff")
    brand_accent_color = Varchar(length=7, default="#00a37a")
    logo_url = Varchar(length=500, default="")
    # Legal details printed on receipts (German Impressum and invoice rules).
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=20, default="")
    city = Varchar(length=100, default="")
    country = Varchar(length=2, default="DE")
    vat_id = Varchar(length=20, default="")
    commercial_register = Varchar(length=100, default="")
    website = Varchar(length=200, default="")
    support_email = Varchar(length=200, default="")
    support_phone = Varchar(length=50, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table, tablename="api_tokens"):
    """A bearer token with which an operator's scripts use the admin API; kept as a SHA-256
    hash (the token itself is 256 random bits, shown once)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
