from enum import StrEnum


class TariffKind(StrEnum):
    """OCPI 2.2.1 TariffType for what we offer: paying at the charger, or by contract."""

    AD_HOC = "AD_HOC_PAYMENT"
    REGULAR = "REGULAR"


class AssignmentScope(StrEnum):
    OPERATOR = "operator"
    SITE = "site"
    EVSE = "evse"
    CUSTOMER_GROUP = "customer_group"
