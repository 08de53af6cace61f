"""Admin mode's texts travel apart from the drivers' app: a driver's first load does not
carry them, staff get them when admin mode opens."""

from __future__ import annotations

import httpx

from tests.support.platform import RunningPlatform


async def test_admin_texts_are_served_apart(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        drivers = (await http.get("/api/i18n/de")).json()
        admin = await http.get("/api/i18n/de/admin")
        assert admin.status_code == 200
        assert admin.headers["etag"]
        texts = admin.json()
        unknown = await http.get("/api/i18n/fr/admin")
    assert texts["Save tariff"] == "Tarif speichern"
    assert texts["Make report now"] == "Bericht jetzt erstellen"
    assert "Save tariff" not in drivers
    assert drivers["Start charging"]
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "language_not_supported"
