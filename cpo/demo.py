"""The demo operator: one site, four stations, a handful of RFID cards (one blocked)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from cpo import database
from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.context import Context
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.payments.accounts import AccountInput, add_account
from cpo.payments.schemas import ProviderName
from cpo.settings import Settings
from cpo.stations import service as stations
from cpo.stations.enums import ConnectorFormat, ConnectorStandard, CurrentType
from cpo.stations.schemas import ConnectorSpec, EvseSpec, StationRegistration
from cpo.stations.tables import Site
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope, TariffKind
from cpo.tariffs.schemas import (
    ComponentType,
    PriceComponent,
    Restrictions,
    TariffDefinition,
    TariffElement,
)
from cpo.tokens import service as tokens
from cpo.tokens.enums import TokenStatus
from cpo.tokens.schemas import TokenSpec
from cpo.tokens.tables import IdToken

DEMO_OPERATOR_SLUG = "demo"
# Printed by `cpo run --demo` so the admin API can be tried at once; never use one like it live.
DEMO_API_TOKEN = "cpo_demo-admin-token-for-trying-the-api"  # noqa: S105
# Test accounts at the local fake of Stripe and PayPal that `cpo run --demo` starts.
# Contract customers who log in to the web app (e-mail link, then a passkey), and the
# operator's admin; in the demo the login mails land in the outbox folder.
DEMO_ANNA_EMAIL = "anna@example.org"
DEMO_BEN_EMAIL = "ben@example.org"
# A company customer: its fleet manager sees the company's cards and sessions per cost
# centre; Carla and David drive its cars.
DEMO_FLEET_MANAGER_EMAIL = "fuhrpark@example.org"
DEMO_COMPANY_DRIVERS = (
    ("Carla Weber", "carla@example.org", "04D1A2B3C4D5E6", "KST 100 Vertrieb"),
    ("David Klein", "david@example.org", "04D2A2B3C4D5E6", "KST 200 Service"),
)
DEMO_POOL_CARD = ("04D3A2B3C4D5E6", "KST 200 Service")
DEMO_OPERATOR_ADMIN_EMAIL = "operator@example.org"
DEMO_PLATFORM_ADMIN_EMAIL = "platform@example.org"
DEMO_STRIPE = {
    "publishable_key": "pk_test_demo_cpo",
    "secret_key": "sk_test_demo_cpo",
    "webhook_secret": "whsec_demo_cpo",
}
DEMO_PAYPAL = {
    "client_id": "demo-cpo-paypal-client",
    "client_secret": "demo-cpo-paypal-secret",
    "webhook_id": "WH-DEMO-CPO",
}


# SEPA debits take days at a bank; at the demo's fake they settle after this many seconds.
DEMO_DEBITS_SETTLE_AFTER_S = 5.0
# What contract customers can put on file in the demo (on the fake's setup page).
DEMO_METHODS_ON_FILE = (
    "cards 4242 4242 4242 4242 (saved; charges succeed), 4000 0000 0000 0341 (saved; "
    "charges declined), 4000 0027 6000 3184 (3-D Secure); IBANs DE89 3704 0044 0532 0130 00 "
    "(debits succeed), DE62 3704 0044 0532 0130 01 (debits fail)"
)


def demo_payments_url(settings: Settings) -> str:
    """Where the demo's fake payment provider listens: next to the platform."""
    return f"http://{settings.host}:{settings.port + 90}"


_TYPE2_16A = ConnectorSpec(max_voltage_v=400, max_current_a=16)
_TYPE2_32A = ConnectorSpec(max_voltage_v=400, max_current_a=32)
_CCS = ConnectorSpec(
    standard=ConnectorStandard.IEC_62196_T2_COMBO,
    format=ConnectorFormat.CABLE,
    max_voltage_v=920,
    max_current_a=300,
)


class DemoStation(msgspec.Struct, frozen=True):
    identity: str
    name: str
    evses: tuple[EvseSpec, ...]

    @property
    def password(self) -> str:
        """Fixed so that the simulated chargers can log in; never use such a thing live."""
        return f"demo-password-{self.identity.lower()}"


def _ac11(station: int, outlets: int) -> tuple[EvseSpec, ...]:
    return tuple(
        EvseSpec(
            evse_id=f"DE*DEM*E{station:04d}*{outlet}",
            ocpp_connector_id=outlet,
            max_power_w=11_000,
            connectors=(_TYPE2_16A,),
        )
        for outlet in range(1, outlets + 1)
    )


DEMO_STATIONS = (
    DemoStation("DEMO-AC-1", "Level 0, bays 1–2", _ac11(1, 2)),
    DemoStation("DEMO-AC-2", "Level 0, bays 3–4", _ac11(2, 2)),
    DemoStation(
        "DEMO-AC-3",
        "Entrance, bay 5",
        (
            EvseSpec(
                evse_id="DE*DEM*E0003*1",
                ocpp_connector_id=1,
                max_power_w=22_000,
                connectors=(_TYPE2_32A,),
            ),
        ),
    ),
    DemoStation(
        "DEMO-DC-1",
        "Fast charger, bay 6",
        (
            EvseSpec(
                evse_id="DE*DEM*E0004*1",
                ocpp_connector_id=1,
                max_power_w=150_000,
                current_type=CurrentType.DC,
                connectors=(_CCS,),
            ),
        ),
    ),
)


class DemoCard(msgspec.Struct, frozen=True):
    uid: str
    label: str
    status: TokenStatus = TokenStatus.ACTIVE
    group_id: str | None = None
    expired: bool = False
    customer_group: str | None = None


DEMO_CARDS = (
    DemoCard("04A2B3C4D5E6F7", "Anna Schmidt"),
    DemoCard("04B1C2D3E4F5A6", "Ben Müller (employee: charges free)", customer_group="employees"),
    DemoCard("04FLEET0000001", "Fleet card 1 (Stadtwerke fleet)", group_id="FLEET-STADTWERKE"),
    DemoCard("04FLEET0000002", "Fleet card 2 (Stadtwerke fleet)", group_id="FLEET-STADTWERKE"),
    DemoCard("04C0FFEE000BAD", "Lost card (blocked)", status=TokenStatus.BLOCKED),
    DemoCard("04E0E0E0E0E0E0", "Former employee (expired)", expired=True),
    DemoCard("04D1A2B3C4D5E6", "Musterbau: Carla Weber"),
    DemoCard("04D2A2B3C4D5E6", "Musterbau: David Klein"),
    DemoCard("04D3A2B3C4D5E6", "Musterbau: pool car B-MB 123"),
)


async def seed_demo(ctx: Context) -> bool:
    """Create the demo operator and its network; False if it exists already."""
    if await Operator.exists().where(Operator.slug == DEMO_OPERATOR_SLUG):
        return False
    async with database.transaction():
        operator_rows = await Operator.insert(
            Operator(
                slug=DEMO_OPERATOR_SLUG,
                name="Demo Stadtwerke Laden",
                legal_name="Demo Stadtwerke Laden GmbH",
                country_code="DE",
                party_id="DEM",
                currency="EUR",
                street="Musterstraße 1",
                postal_code="10115",
                city="Berlin",
                country="DE",
                vat_id="DE123456789",
                commercial_register="Amtsgericht Charlottenburg HRB 123456",
                website="https://charge.example.org",
                support_email="support@example.org",
                support_phone="+49 30 123456",
                created_at=ctx.clock.now(),
            )
        ).returning(Operator.id)
        operator_id: int = operator_rows[0]["id"]
        site_rows = await Site.insert(
            Site(
                operator=operator_id,
                name="Parkhaus Mitte",
                street="Alexanderplatz 1",
                postal_code="10178",
                city="Berlin",
                country="DEU",
                latitude=52.521918,
                longitude=13.413215,
                time_zone="Europe/Berlin",
                created_at=ctx.clock.now(),
            )
        ).returning(Site.id)
        site_id: int = site_rows[0]["id"]
        for station in DEMO_STATIONS:
            await stations.register_station(
                ctx,
                StationRegistration(
                    operator_id=operator_id,
                    identity=station.identity,
                    password=station.password,
                    site_id=site_id,
                    name=station.name,
                    evses=station.evses,
                ),
            )
        for card in DEMO_CARDS:
            await tokens.create_token(
                ctx,
                TokenSpec(
                    operator_id=operator_id,
                    uid=card.uid,
                    label=card.label,
                    status=card.status,
                    group_id=card.group_id,
                    expires_at=ctx.clock.now() - timedelta(days=30) if card.expired else None,
                    customer_group=card.customer_group,
                ),
            )
        await _demo_tariffs(ctx, operator_id)
        await _demo_accounts(ctx, operator_id)
        await create_api_token(ctx, operator_id, "demo", token=DEMO_API_TOKEN)
        api_base = demo_payments_url(ctx.settings)
        for provider, config in (
            (ProviderName.STRIPE, DEMO_STRIPE),
            (ProviderName.PAYPAL, DEMO_PAYPAL),
        ):
            await add_account(
                ctx,
                operator_id,
                AccountInput(
                    provider=provider,
                    label="demo (local fake)",
                    config={**config, "api_base": api_base},
                ),
            )
    return True


def _euro(amount: str) -> int:
    """'0.49' € → millionths of a euro."""
    return round(float(amount) * 1_000_000)


AC_AD_HOC = TariffDefinition(
    currency="EUR",
    vat_rate_bp=1900,
    elements=(
        TariffElement(
            components=(PriceComponent(type=ComponentType.ENERGY, price_micro=_euro("0.49")),)
        ),
        # The blocking fee: from the 241st minute plugged in, 0.10 €/min, at most 12 €.
        TariffElement(
            components=(
                PriceComponent(
                    type=ComponentType.PARKING_TIME,
                    price_micro=_euro("0.10"),
                    step_size=60,
                    cap_micro=_euro("12"),
                ),
            ),
            restrictions=Restrictions(min_duration_s=240 * 60),
        ),
    ),
)
DC_AD_HOC = TariffDefinition(
    currency="EUR",
    vat_rate_bp=1900,
    elements=(
        TariffElement(
            components=(PriceComponent(type=ComponentType.ENERGY, price_micro=_euro("0.69")),)
        ),
        TariffElement(
            components=(
                PriceComponent(
                    type=ComponentType.PARKING_TIME,
                    price_micro=_euro("0.10"),
                    step_size=60,
                    grace_s=45 * 60,
                    cap_micro=_euro("12"),
                ),
            ),
        ),
    ),
)
EMPLOYEES = TariffDefinition(
    currency="EUR",
    vat_rate_bp=1900,
    elements=(
        TariffElement(components=(PriceComponent(type=ComponentType.ENERGY, price_micro=0),)),
    ),
)


async def _demo_tariffs(ctx: Context, operator_id: int) -> None:
    ac = await tariffs.create_tariff(
        ctx, operator_id, tariffs.TariffInput(name="AC ad hoc", definition=AC_AD_HOC)
    )
    dc = await tariffs.create_tariff(
        ctx, operator_id, tariffs.TariffInput(name="DC ad hoc", definition=DC_AD_HOC)
    )
    employees = await tariffs.create_tariff(
        ctx,
        operator_id,
        tariffs.TariffInput(name="Employees", kind=TariffKind.REGULAR, definition=EMPLOYEES),
    )
    for assignment in (
        tariffs.Assignment(scope=AssignmentScope.OPERATOR, tariff_id=ac.id),
        tariffs.Assignment(scope=AssignmentScope.EVSE, target="DE*DEM*E0004*1", tariff_id=dc.id),
        tariffs.Assignment(
            scope=AssignmentScope.CUSTOMER_GROUP, target="employees", tariff_id=employees.id
        ),
    ):
        await tariffs.assign_tariff(ctx, operator_id, assignment)


async def _demo_accounts(ctx: Context, operator_id: int) -> None:
    """Anna charges under the usual AC price, Ben (an employee) free; both have their card
    and an app token; the operator's admin may look after them."""
    people = (
        ("Anna Schmidt", DEMO_ANNA_EMAIL, None, "04A2B3C4D5E6F7", ("Lindenallee 3", "10115")),
        ("Ben Müller", DEMO_BEN_EMAIL, "employees", "04B1C2D3E4F5A6", ("Gartenweg 12", "10117")),
    )
    for name, email, group, card, (street, postal_code) in people:
        customer = await accounts.create_customer(
            ctx,
            operator_id,
            accounts.CustomerInput(
                kind=CustomerKind.PERSON,
                name=name,
                email=email,
                customer_group=group,
                street=street,
                postal_code=postal_code,
                city="Berlin",
            ),
        )
        user = await accounts.create_user(
            ctx,
            operator_id,
            accounts.UserInput(
                email=email,
                display_name=name,
                role=Role.DRIVER,
                language="de",
                customer_id=customer.id,
            ),
        )
        await accounts.assign_token(ctx, operator_id, card, customer.id, holder_user_id=user.id)
    await _demo_company(ctx, operator_id)
    await accounts.create_user(
        ctx,
        operator_id,
        accounts.UserInput(
            email=DEMO_OPERATOR_ADMIN_EMAIL,
            display_name="Demo Stadtwerke Betrieb",
            role=Role.OPERATOR_ADMIN,
            language="de",
        ),
    )
    # Whoever runs the platform: creates operators (and is at home with the demo's).
    await accounts.create_user(
        ctx,
        operator_id,
        accounts.UserInput(
            email=DEMO_PLATFORM_ADMIN_EMAIL,
            display_name="Plattformbetrieb",
            role=Role.PLATFORM_ADMIN,
            language="de",
        ),
    )


async def _demo_company(ctx: Context, operator_id: int) -> None:
    """Musterbau GmbH: a fleet manager, two drivers with a card each and a pool car's card
    nobody holds, booked to two cost centres."""
    company = await accounts.create_customer(
        ctx,
        operator_id,
        accounts.CustomerInput(
            kind=CustomerKind.COMPANY,
            name="Musterbau GmbH",
            email="buchhaltung@musterbau.example",
            vat_id="DE987654321",
        ),
    )
    await accounts.create_user(
        ctx,
        operator_id,
        accounts.UserInput(
            email=DEMO_FLEET_MANAGER_EMAIL,
            display_name="Fatma Yilmaz",
            role=Role.FLEET_MANAGER,
            language="de",
            customer_id=company.id,
        ),
    )
    for name, email, card, cost_centre in DEMO_COMPANY_DRIVERS:
        driver = await accounts.create_user(
            ctx,
            operator_id,
            accounts.UserInput(
                email=email,
                display_name=name,
                role=Role.DRIVER,
                language="de",
                customer_id=company.id,
            ),
        )
        await accounts.assign_token(ctx, operator_id, card, company.id, holder_user_id=driver.id)
        async with database.transaction():
            # The driver's card and app token are booked to the driver's cost centre.
            await IdToken.update({IdToken.cost_centre: cost_centre}).where(
                (IdToken.operator == operator_id) & (IdToken.holder == driver.id)
            )
    pool_card, pool_cost_centre = DEMO_POOL_CARD
    await accounts.assign_token(ctx, operator_id, pool_card, company.id)
    async with database.transaction():
        await IdToken.update({IdToken.cost_centre: pool_cost_centre}).where(
            (IdToken.operator == operator_id) & (IdToken.uid == pool_card)
        )
