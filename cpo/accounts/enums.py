from enum import StrEnum


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class Role(StrEnum):
    """What a user may do. Customers' users charge; operator roles run one operator's network;
    a platform admin runs the platform (still a user of one operator, its home tenant)."""

    DRIVER = "driver"
    FLEET_MANAGER = "fleet_manager"
    OPERATOR_STAFF = "operator_staff"
    OPERATOR_ADMIN = "operator_admin"
    PLATFORM_ADMIN = "platform_admin"


class LoginMethod(StrEnum):
    PASSKEY = "passkey"
    EMAIL_LINK = "email_link"


class ChallengePurpose(StrEnum):
    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


class ThrottleScope(StrEnum):
    """What an authentication request is counted against."""

    EMAIL = "email"
    CLIENT = "client"
