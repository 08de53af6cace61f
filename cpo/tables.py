"""Every table of the core, in dependency order (what migrations and tests iterate)."""

from piccolo.table import Table

from cpo.accounts.tables import (
    AuthThrottle,
    Customer,
    LoginLink,
    LoginSession,
    Passkey,
    User,
    WebAuthnChallenge,
)
from cpo.audit.tables import AuditEntry
from cpo.billing.tables import (
    BillingRun,
    Invoice,
    InvoiceEventDelivery,
    InvoiceLine,
    InvoiceSequence,
)
from cpo.cdrs.tables import Cdr, CdrSequence
from cpo.notifications.tables import NotificationDelivery, NotificationSettings
from cpo.operators.tables import ApiToken, Operator
from cpo.partners.tables import (
    PartnerParty,
    PartnerToken,
    RoamingAuthorization,
    RoamingCommand,
    RoamingPartner,
    RoamingPush,
)
from cpo.payments.tables import (
    AdHocSession,
    MethodCharge,
    Payment,
    PaymentAccount,
    PaymentEvent,
    ProviderCustomer,
    SavedPaymentMethod,
)
from cpo.privacy.tables import PrivacyRequest
from cpo.reports.tables import MonthlyReportRecord
from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.stations.tables import (
    ChargeStation,
    Connector,
    ConnectorStatusEvent,
    Evse,
    Fault,
    OcppFrame,
    Site,
    StationEvent,
)
from cpo.support.tables import SupportTicket, TicketMessage, TicketPhoto
from cpo.tariffs.tables import Tariff, TariffAssignment
from cpo.tokens.tables import IdToken, StationAuthList, TokenPush

ALL_TABLES: tuple[type[Table], ...] = (
    Operator,
    ApiToken,
    Site,
    ChargeStation,
    Evse,
    Connector,
    ConnectorStatusEvent,
    Fault,
    StationEvent,
    Customer,
    User,
    IdToken,
    Tariff,
    TariffAssignment,
    ChargingSession,
    MeterSample,
    CdrSequence,
    Cdr,
    PaymentAccount,
    AdHocSession,
    Payment,
    PaymentEvent,
    Passkey,
    LoginSession,
    LoginLink,
    WebAuthnChallenge,
    AuthThrottle,
    RoamingPartner,
    PartnerParty,
    PartnerToken,
    RoamingAuthorization,
    RoamingPush,
    RoamingCommand,
    AuditEntry,
    StationAuthList,
    TokenPush,
    MonthlyReportRecord,
    OcppFrame,
    NotificationSettings,
    NotificationDelivery,
    SupportTicket,
    TicketPhoto,
    TicketMessage,
    InvoiceSequence,
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceEventDelivery,
    PrivacyRequest,
    ProviderCustomer,
    SavedPaymentMethod,
    MethodCharge,
)
