"""A second operator next to the demo one, with a site, a station, an EVSE and an API token:
what tenant-isolation tests try to reach the demo operator's data with (and the other way)."""

from __future__ import annotations

from dataclasses import dataclass

from cpo.context import Context
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.stations import service as stations
from cpo.stations.schemas import EvseSpec, StationRegistration
from cpo.stations.tables import Site

RIVAL_EVSE_ID = "DE*RIV*E0001*1"


@dataclass(frozen=True)
class Rival:
    operator_id: int
    token: str
    site_id: int
    station_id: int
    evse_id: str


async def rival_operator(ctx: Context) -> Rival:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    operator_id = int(rows[0]["id"])
    token, _ = await create_api_token(ctx, operator_id, "rival")
    site_rows = await Site.insert(
        Site(operator=operator_id, name="Rival yard", city="Hamburg")
    ).returning(Site.id)
    site_id = int(site_rows[0]["id"])
    station_id = await stations.register_station(
        ctx,
        StationRegistration(
            operator_id=operator_id,
            identity="RIVAL-1",
            password="rival-password-123456",
            site_id=site_id,
            evses=(EvseSpec(evse_id=RIVAL_EVSE_ID, ocpp_connector_id=1, max_power_w=11_000),),
        ),
    )
    return Rival(operator_id, token, site_id, station_id, RIVAL_EVSE_ID)
