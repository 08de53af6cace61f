"""Where an operator's stations are: the time zone its days are counted in."""

from __future__ import annotations

from cpo.stations import rules
from cpo.stations.tables import Site

DEFAULT_TIME_ZONE = "Europe/Berlin"


async def operator_time_zone(operator_id: int) -> str:
    """The time zone of the operator's first site; Europe/Berlin when it has none."""
    row = (
        await Site.select(Site.time_zone)
        .where(Site.operator == operator_id)
        .order_by(Site.id)
        .first()
    )
    zone = row["time_zone"] if row else ""
    return zone if zone and rules.is_valid_time_zone(zone) else DEFAULT_TIME_ZONE
