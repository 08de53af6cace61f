"""Which EVSEs get stickers: the operator's sites with their EVSEs, and the sheet of one."""

from __future__ import annotations

import msgspec

from cpo.errors import NotFound
from cpo.stations.tables import Evse, Site
from cpo.stickers.rules import sticker_url
from cpo.tariffs.service import own_evse


class StickerEvse(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: str
    station_identity: str
    url: str  # what the QR code holds


class StickerSite(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    city: str
    evses: list[StickerEvse]


class StickerOverview(msgspec.Struct, frozen=True, kw_only=True):
    sites: list[StickerSite]
    # EVSEs of stations not placed at a site yet (single stickers only, no sheet).
    without_site: list[StickerEvse]


async def overview(operator_id: int, base_url: str) -> StickerOverview:
    sites = (
        await Site.select(Site.id, Site.name, Site.city)
        .where(Site.operator == operator_id)
        .order_by(Site.name)
        .order_by(Site.id)
    )
    evses = (
        await Evse.select(Evse.evse_id, Evse.station.identity, Evse.station.site)
        .where(Evse.station.operator == operator_id)
        .order_by(Evse.evse_id)
    )
    by_site: dict[int | None, list[StickerEvse]] = {}
    for row in evses:
        by_site.setdefault(row["station.site"], []).append(
            StickerEvse(
                evse_id=row["evse_id"],
                station_identity=row["station.identity"],
                url=sticker_url(base_url, row["evse_id"]),
            )
        )
    return StickerOverview(
        sites=[
            StickerSite(
                id=site["id"],
                name=site["name"],
                city=site["city"],
                evses=by_site.get(site["id"], []),
            )
            for site in sites
        ],
        without_site=by_site.get(None, []),
    )


async def own_evse_id(operator_id: int, evse_id: str) -> str:
    """The EVSE ID as registered (the caller may write it in lower case or without `*`)."""
    return str((await own_evse(operator_id, evse_id))["evse_id"])


async def site_sheet(operator_id: int, site_id: int) -> tuple[str, list[str]]:
    """The site's name and the EVSE IDs of its stations, in order."""
    site = (
        await Site.select(Site.name)
        .where((Site.id == site_id) & (Site.operator == operator_id))
        .first()
    )
    if site is None:
        raise NotFound(f"no site {site_id}")
    rows = (
        await Evse.select(Evse.evse_id)
        .where((Evse.station.site == site_id) & (Evse.station.operator == operator_id))
        .order_by(Evse.evse_id)
    )
    if not rows:
        raise NotFound(f"site {site_id} has no EVSEs yet", code="no_evses")
    return str(site["name"]), [str(row["evse_id"]) for row in rows]
