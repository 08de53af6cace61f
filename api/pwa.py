"""The drivers' web app (`pwa/`): its shell, files, manifest, service worker and texts.

No build step: the files in `pwa/` are served as they are, read once into memory. Every
file lives under `/app/{version}/…`, where the version is a hash of all of them and of the
app's texts, so those URLs never change their content and are cached for a year; modules
import each other by relative path and so stay inside one version. Everything that names
a version — the shell HTML for each app route, the service worker, the manifest, the
texts — is revalidated on every use (`no-cache` + ETag), so a new version reaches drivers
at their next visit at the cost of a 304.

The texts are the gettext entries that Babel extracted from `pwa/` (their locations name
a `pwa/` file), translated through `cpo.i18n`; the rest of the catalog is the server's.
They come in two parts: the drivers' (every text some driver screen uses) and admin mode's
(texts only admin screens use), so that drivers never download the operators' texts. The
service worker keeps the drivers' app only; admin mode needs a connection anyway.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template
from typing import Any, Final
from urllib.parse import quote, unquote

from babel.messages.pofile import read_po
from litestar import Request, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from cpo.errors import NotFound
from cpo.i18n import SUPPORTED_LANGUAGES, catalog_path, negotiate, translator
from cpo.operators.tables import Operator
from cpo.stations.public import evse_for_driver

PWA_DIR: Final = Path(__file__).resolve().parent.parent / "pwa"
_SERVED: Final = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
}
# Screens whose module the shell preloads, by the first segment of the path (saves the
# round trip in which main.js would discover it).
_SCREENS: Final = {
    "": "scan",
    "scan": "scan",
    "c": "charger",
    "s": "session",
    "history": "history",
    "login": "login",
    "account": "account",
    "admin": "admin",
    "t": "ticket",
}
_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_DEFAULT_COLOR: Final = "#0b5fff"

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
# Stripe.js and its frames are the only foreign code, and only on the payment step; the
# Payment Element may set inline styles. Logos may come from any HTTPS host.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self' https://js.stripe.com; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self' https://api.stripe.com; "
    "frame-src https://js.stripe.com https://hooks.stripe.com; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
_SHELL_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Session pages carry their token in the path: never hand it to payment pages.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

# gzip for everything worth it (JSON, HTML, CSS, JS); not for the live event stream, which
# must reach the driver at once, nor for PDFs and PNGs, which are compressed already.
COMPRESSION: Final = CompressionConfig(
    backend="gzip",
    minimum_size=512,
    gzip_compress_level=6,
    exclude=[r"^/api/sessions/[^/]+/events$", r"\.(pdf|png)$"],
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True)
class Bundle:
    """The app as one version: its files, texts and the templates that name the version."""

    version: str
    assets: dict[str, Asset]
    texts: dict[str, bytes]  # the drivers' texts by language
    part_texts: dict[str, dict[str, bytes]]  # by part, then language
    shell: Template
    service_worker: str

    @property
    def base(self) -> str:
        return f"/app/{self.version}"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


# Parts of the app that load only when opened: admin mode for operator staff, and the
# contract customer's account sections. Their files stay out of the offline shell and their
# texts out of the drivers' texts, so a driver's first visit never carries them.
PARTS: Final = {
    "admin": ("js/admin/", "js/screens/admin.js"),
    "contract": ("js/contract/",),
}
# The installed app's icons: the launcher keeps its own copy, the offline shell needs none.
_INSTALL_ICONS: Final = ("icons/icon-192.png", "icons/icon-512.png", "icons/icon-maskable-512.png")


def part_of(path: str) -> str | None:
    """The part a file of the app belongs to; None for the drivers' app itself."""
    return next((part for part, prefixes in PARTS.items() if path.startswith(prefixes)), None)


def pwa_texts(language: str, part: str | None = None) -> dict[str, str]:
    """The app's own texts in one language: message id → text, where the two differ.
    The drivers' texts have every text a driver's screen uses; a part's texts those its
    files use that no driver's screen does."""
    with catalog_path(language).open("rb") as file:
        catalog = read_po(file)
    gettext = translator(language).gettext
    texts = {}
    for message in catalog:
        if not isinstance(message.id, str) or not message.id:
            continue
        parts = {
            part_of(path.removeprefix("pwa/"))
            for path, _ in message.locations
            if path.startswith("pwa/")
        }
        if not parts:
            continue
        wanted = None in parts if part is None else (None not in parts and part in parts)
        if wanted:
            text = gettext(message.id)
            if text != message.id:
                texts[message.id] = text
    return texts


def _encoded(texts: dict[str, str]) -> bytes:
    return json.dumps(texts, ensure_ascii=False, sort_keys=True).encode()


@functools.cache
def bundle() -> Bundle:
    """Read once per process, on first use (never at import)."""
    assets = {}
    for path in sorted(PWA_DIR.rglob("*")):
        media_type = _SERVED.get(path.suffix)
        if media_type is None or not path.is_file() or path.name == "sw.js":
            continue  # the service worker is served from the root, for its scope
        body = path.read_bytes()
        assets[path.relative_to(PWA_DIR).as_posix()] = Asset(body, media_type, _etag(body))
    texts = {language: _encoded(pwa_texts(language)) for language in SUPPORTED_LANGUAGES}
    part_texts = {
        part: {language: _encoded(pwa_texts(language, part)) for language in SUPPORTED_LANGUAGES}
        for part in PARTS
    }
    shell = (PWA_DIR / "index.html").read_text(encoding="utf-8")
    service_worker = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    digest = hashlib.sha256()
    for name, asset in assets.items():
        digest.update(name.encode() + b"\0" + asset.body)
    for language in SUPPORTED_LANGUAGES:
        digest.update(language.encode() + b"\0" + texts[language])
        for part in PARTS:
            digest.update(part_texts[part][language])
    digest.update(shell.encode() + service_worker.encode())
    return Bundle(
        digest.hexdigest()[:12], assets, texts, part_texts, Template(shell), service_worker
    )


def _cached(
    request: Request[Any, Any, Any],
    body: bytes,
    media_type: str,
    cache_control: str,
    headers: dict[str, str] | None = None,
    etag: str | None = None,
) -> Response[bytes]:
    """The body, or 304 Not Modified when the browser holds this very version."""
    etag = etag or _etag(body)
    all_headers = {"ETag": etag, "Cache-Control": cache_control} | (headers or {})
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


def render_shell(path: str) -> bytes:
    """The shell for one app path: which screen to preload, whose brand to install."""
    app = bundle()
    first, _, rest = unquote(path).strip("/").partition("/")
    screen = _SCREENS.get(first, "offline")
    if first == "c" and rest.endswith("/problem"):
        screen, rest = "problem", rest.removesuffix("/problem")
    manifest = "/manifest.webmanifest"
    if first == "c" and rest:
        manifest += "?evse=" + quote(rest, safe="*")
    return app.shell.substitute(
        base=app.base, screen=f"{app.base}/js/screens/{screen}.js", manifest=escape(manifest)
    ).encode()


_APP_ROUTES: Final = [
    "/",
    "/scan",
    "/history",
    "/offline",
    "/login",
    "/login/{token:str}",
    "/account",
    "/account/{section:str}",
    "/admin",
    "/admin/{section:path}",
    "/c/{evse_id:str}",
    "/c/{evse_id:str}/problem",
    "/s/{token:str}",
    "/t/{token:str}",
]
# Paths that carry a secret (a session's key, a login link's token): no cache keeps them.
_SECRET_PATHS: Final = ("/s/", "/login/", "/t/")


@get(_APP_ROUTES, include_in_schema=False, cache_control=None)
async def app_shell(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The same small HTML page for every screen; the router in the page picks the screen."""
    path = request.url.path
    # A session's address is its key, a login link's or a report's its token: no cache
    # keeps them (offline, the service worker answers with the shell of "/", naming none).
    cache_control = "private, no-store" if path.startswith(_SECRET_PATHS) else REVALIDATE
    return _cached(
        request,
        render_shell(path),
        "text/html",
        cache_control,
        _SHELL_HEADERS,
    )


@get("/app/{version:str}/{name:path}", include_in_schema=False)
async def app_file(
    request: Request[Any, Any, Any], version: FromPath[str], name: FromPath[str]
) -> Response[bytes]:
    app = bundle()
    asset = app.assets.get(name.lstrip("/"))
    if version != app.version or asset is None:
        # An old version is gone: its pages still run from the service worker's cache.
        raise NotFound("no such file", code="not_found")
    return _cached(
        request,
        asset.body,
        asset.media_type,
        IMMUTABLE,
        {"X-Content-Type-Options": "nosniff"},
        asset.etag,
    )


@get("/sw.js", include_in_schema=False)
async def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The service worker, told its version and what to keep for starting offline."""
    app = bundle()
    kept = [name for name in app.assets if part_of(name) is None and name not in _INSTALL_ICONS]
    shell = ["/", *(f"{app.base}/{name}" for name in kept)]
    prelude = f"const VERSION = {json.dumps(app.version)};\nconst SHELL = {json.dumps(shell)};\n"
    return _cached(
        request,
        (prelude + app.service_worker).encode(),
        "text/javascript",
        REVALIDATE,
        {"X-Content-Type-Options": "nosniff"},
    )


@get(
    "/api/i18n/{lang:str}",
    summary="The web app's texts in one language",
    description=(
        "Message id (the English text) → translation, from the gettext catalogs; ids whose "
        "translation is the id itself are left out. Revalidate with the ETag."
    ),
    tags=["driver"],
)
async def texts(request: Request[Any, Any, Any], lang: FromPath[str]) -> Response[bytes]:
    if lang not in SUPPORTED_LANGUAGES:
        raise NotFound(f"no texts in {lang!r}", code="language_not_supported")
    return _cached(request, bundle().texts[lang], "application/json", REVALIDATE)


@get(
    "/api/i18n/{lang:str}/{part:str}",
    summary="The texts of one part of the app in one language",
    description=(
        "Like the drivers' texts, for the texts only one part uses: `admin` (admin mode) or "
        "`contract` (a contract customer's account sections)."
    ),
    tags=["driver"],
)
async def part_texts(
    request: Request[Any, Any, Any], lang: FromPath[str], part: FromPath[str]
) -> Response[bytes]:
    if lang not in SUPPORTED_LANGUAGES:
        raise NotFound(f"no texts in {lang!r}", code="language_not_supported")
    texts = bundle().part_texts.get(part)
    if texts is None:
        raise NotFound(f"no part {part!r} of the app", code="not_found")
    return _cached(request, texts[lang], "application/json", REVALIDATE)


@dataclass(frozen=True)
class _Brand:
    name: str
    primary_color: str


async def _brand(state: State, evse: str | None, language: str) -> _Brand:
    """The brand of the charger's operator, else of the first (default) operator."""
    if evse:
        try:
            operator = (await evse_for_driver(state.ctx, evse, language)).operator
        except NotFound:
            pass
        else:
            return _Brand(operator.name, operator.primary_color)
    row = (
        await Operator.select(Operator.name, Operator.brand_primary_color)
        .where(Operator.active.eq(True))
        .order_by(Operator.id)
        .first()
    )
    if row is None:
        return _Brand(translator(language).gettext("Charging"), _DEFAULT_COLOR)
    return _Brand(row["name"], row["brand_primary_color"])


def _short_name(name: str) -> str:
    # Launchers show about 12 characters under the icon; keep the brand's first word.
    return name if len(name) <= 12 else (name.split() or [name])[0][:12]


@get("/manifest.webmanifest", include_in_schema=False, cache_control=None)
async def manifest(
    request: Request[Any, Any, Any], state: State, evse: FromQuery[str | None] = None
) -> Response[bytes]:
    """What an installed app is called and looks like: the operator's brand."""
    language = negotiate(request.headers.get("accept-language"))
    brand = await _brand(state, evse, language)
    color = brand.primary_color if _COLOR.fullmatch(brand.primary_color) else _DEFAULT_COLOR
    icons = bundle().base + "/icons"
    body = {
        "id": "/",
        "name": brand.name,
        "short_name": _short_name(brand.name),
        "description": translator(language).gettext(
            "Charge your car and pay by card or PayPal, without an account."
        ),
        "lang": language,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": color,
        "background_color": "#ffffff",
        "icons": [
            {"src": f"{icons}/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": f"{icons}/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": f"{icons}/icon-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return _cached(
        request,
        json.dumps(body, ensure_ascii=False).encode(),
        "application/manifest+json",
        REVALIDATE,
        {"Vary": "Accept-Language"},
    )


PWA_HANDLERS: Final = [app_shell, app_file, service_worker, texts, part_texts, manifest]
