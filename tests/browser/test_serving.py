"""How the platform serves the web app, seen over HTTP (no browser needed): one shell for
every screen, versioned files cached for good, gzip on the wire, the texts, the manifest
and a service worker that keeps nothing but the shell."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po

from api.pwa import PWA_DIR
from cpo.i18n import CATALOG_DIR
from tests.support.platform import RunningPlatform

EVSE = "DE*DEM*E0001*1"
APP_PATHS = ["/", "/scan", "/history", "/offline", f"/c/{EVSE}", "/s/1.abc"]


@pytest.fixture
async def http(platform: RunningPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=platform.base_url, headers={"Accept-Encoding": "gzip"})


def assets_of(shell: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/app/[0-9a-f]+/[^"]+)"', shell)


@pytest.mark.parametrize("path", APP_PATHS)
async def test_every_screen_gets_the_same_small_shell(http: httpx.AsyncClient, path: str) -> None:
    async with http:
        response = await http.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        expected = "private, no-store" if path.startswith("/s/") else "no-cache"
        assert response.headers["cache-control"] == expected
        assert (
            "script-src 'self' https://js.stripe.com" in response.headers["content-security-policy"]
        )
        assert response.headers["referrer-policy"] == "no-referrer"
        assert '<main id="main"' in response.text
        again = await http.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


async def test_the_charger_shell_installs_the_chargers_brand(http: httpx.AsyncClient) -> None:
    async with http:
        shell = (await http.get(f"/c/{EVSE}")).text
        assert 'href="/manifest.webmanifest?evse=DE*DEM*E0001*1"' in shell
        assert "/js/screens/charger.js" in shell  # preloaded with the shell, no extra round trip
        odd = (await http.get('/c/"><script>alert(1)</script>')).text
        assert "<script>alert" not in odd


async def test_files_are_versioned_cached_for_good_and_gzipped(http: httpx.AsyncClient) -> None:
    async with http:
        shell = (await http.get("/")).text
        assets = assets_of(shell)
        assert any(path.endswith("/js/main.js") for path in assets)
        for path in assets:
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            if path.endswith((".js", ".css")):
                assert response.headers["content-encoding"] == "gzip", path
                assert response.headers["content-type"].startswith(("text/javascript", "text/css"))
        version = assets[0].split("/")[2]
        stale = await http.get(assets[0].replace(version, "000000000000"))
        assert stale.status_code == 404
        assert (await http.get(f"/app/{version}/../api/pwa.py")).status_code == 404


async def test_the_json_api_is_gzipped_but_live_events_are_not(
    http: httpx.AsyncClient,
) -> None:
    async with http:
        evse = await http.get(f"/api/evses/{EVSE}?lang=de")
        assert evse.headers["content-encoding"] == "gzip"
        assert evse.json()["evse_id"] == EVSE
        missing = await http.get("/api/sessions/1.nothing/events")
        assert missing.status_code == 404
        assert "content-encoding" not in missing.headers


async def test_the_texts_come_from_the_catalogs(http: httpx.AsyncClient) -> None:
    async with http:
        german = await http.get("/api/i18n/de")
        assert german.status_code == 200
        texts = german.json()
        assert texts["My sessions"] == "Meine Ladevorgänge"
        assert texts["Stop charging"] == "Laden beenden"
        assert "Receipt number" not in texts  # the server's texts stay on the server
        assert german.headers["cache-control"] == "no-cache"
        cached = await http.get("/api/i18n/de", headers={"If-None-Match": german.headers["etag"]})
        assert cached.status_code == 304
        english = (await http.get("/api/i18n/en")).json()
        assert english == {}  # English texts are their own message ids
        unknown = await http.get("/api/i18n/fr")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "language_not_supported"


async def test_the_manifest_of_the_default_operator(http: httpx.AsyncClient) -> None:
    async with http:
        response = await http.get("/manifest.webmanifest", headers={"Accept-Language": "de"})
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = response.json()
        assert manifest["name"] == "Demo Stadtwerke Laden"
        assert manifest["lang"] == "de"
        assert manifest["display"] == "standalone"
        unknown = (await http.get("/manifest.webmanifest?evse=XX*NOPE")).json()
        assert unknown["name"] == "Demo Stadtwerke Laden"


async def test_the_service_worker_keeps_only_the_shell(http: httpx.AsyncClient) -> None:
    async with http:
        worker = await http.get("/sw.js")
        assert worker.headers["cache-control"] == "no-cache"
        assert worker.headers["content-type"].startswith("text/javascript")
        shell = re.search(r"const SHELL = (\[.*\]);", worker.text)
        assert shell is not None
        kept = shell.group(1)
        assert '"/"' in kept
        assert "/app.css" in kept
        assert "/icons/icon-32.png" in kept
        assert "/js/screens/charger.js" in kept
        # Not for starting offline: the launcher's icons, admin mode, API calls, receipts.
        assert "/icons/icon-maskable-512.png" not in kept
        assert "/js/admin/" not in kept
        assert "/js/screens/admin.js" not in kept
        assert "/js/contract/" not in kept
        assert "/api/" not in kept
        assert "/r/" not in kept


async def test_drivers_never_download_admin_or_account_texts(http: httpx.AsyncClient) -> None:
    async with http:
        drivers = (await http.get("/api/i18n/de")).json()
        admin = await http.get("/api/i18n/de/admin")
        assert admin.status_code == 200
        assert admin.json()["Audit log"] == "Änderungsprotokoll"
        assert "Audit log" not in drivers
        assert drivers["Log in"] == "Anmelden"
        assert "Log in" not in admin.json()
        assert (await http.get("/api/i18n/fr/admin")).status_code == 404
        # The account's sections bring theirs when opened; drivers never load them either.
        contract = await http.get("/api/i18n/de/contract")
        assert contract.status_code == 200
        assert contract.json()["Remove this passkey?"] == "Diesen Passkey entfernen?"
        assert "Remove this passkey?" not in drivers
        assert "Log in" not in contract.json()
        unknown = await http.get("/api/i18n/de/everything")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "not_found"


def test_every_text_of_the_app_is_in_the_catalogs() -> None:
    """Babel's JavaScript extractor skips t("…") after an object literal or inside a nested
    template within a template's ${…}; this finds texts it would have missed."""
    with (CATALOG_DIR / "messages.pot").open("rb") as file:
        template = {message.id for message in read_po(file) if message.id}
    marked = {
        match.group(1)
        for path in Path(PWA_DIR).rglob("*.js")
        for match in re.finditer(r'\bt\("((?:[^"\\]|\\.)+)"', path.read_text(encoding="utf-8"))
        if match.group(1) != "…"  # the example in i18n.js's comment
    }
    assert marked
    assert not marked - template, sorted(marked - template)
