"""Receipts under their unguessable link: the page, the PDF and the signed meter data.

No login: whoever holds the link (256 random bits, kept on the driver's device) may read
the receipt, as with a paper receipt. Because the token is the only secret and it sits in
the URL, every answer here tells browsers and proxies not to store it (`Cache-Control`),
not to pass it on to other sites (`Referrer-Policy`), and search engines not to index it;
nothing here logs the path or the token.

`GET /r/{token}.pdf` shares the route of the page: Litestar matches whole path segments, so
one handler serves `/r/{name}` and a name ending in ".pdf" asks for the PDF. Tokens are
URL-safe base64 and never contain a dot, so the two cannot be confused.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, get
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from cpo import messages
from cpo.cdrs.receipt import (
    Receipt,
    ReceiptLinks,
    load_receipt,
    render_html,
    render_not_found_html,
    render_pdf,
    render_signed_data,
)
from cpo.cdrs.service import cdr_for_receipt
from cpo.errors import NotFound
from cpo.i18n import SUPPORTED_LANGUAGES, negotiate, translator

# What `secrets.token_urlsafe(32)` makes, with room on both sides; anything else is not a
# token, and is answered without asking the database.
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{20,64}")
_PDF_SUFFIX: Final = ".pdf"

PRIVATE_HEADERS: Final = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept, Accept-Language",
}
# The pages are self-contained: inline styles, at most an operator's logo over HTTPS.
_PAGE_HEADERS: Final = PRIVATE_HEADERS | {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


@get(
    "/r/{name:str}",
    summary="A receipt: the web page, or the PDF when the name ends in .pdf",
    description=(
        "`/r/{token}` is the page, `/r/{token}.pdf` the PDF (A4). The language comes from "
        "`?lang=` (de, en), else from Accept-Language. No login: the token is the key."
    ),
    tags=["receipts"],
)
async def receipt_page(
    request: Request[Any, Any, Any], name: FromPath[str], lang: FromQuery[str | None] = None
) -> Response[Any]:
    language = negotiate(request.headers.get("accept-language"), lang)
    wants_pdf = name.endswith(_PDF_SUFFIX)
    token = name.removesuffix(_PDF_SUFFIX)
    receipt = await _receipt(token, language)
    if receipt is None:
        return _not_found(request, language, html=not wants_pdf)
    if wants_pdf:
        # Laying out a PDF takes some milliseconds of CPU: keep the event loop (and with it
        # the chargers' WebSockets) free meanwhile.
        pdf = await asyncio.to_thread(render_pdf, receipt)
        return Response(
            pdf,
            media_type="application/pdf",
            headers=PRIVATE_HEADERS
            | {"Content-Disposition": f'inline; filename="{receipt.pdf_filename}"'},
        )
    return Response(render_html(receipt), media_type=MediaType.HTML, headers=_PAGE_HEADERS)


@get(
    "/r/{token:str}/signed-data",
    summary="The signed meter values of a receipt, for the transparency software",
    description=(
        "A UTF-8 text file: a short header of `#` comment lines, then each signed value "
        "exactly as the charge point sent it. 404 when the charge point signed nothing."
    ),
    tags=["receipts"],
)
async def receipt_signed_data(
    request: Request[Any, Any, Any], token: FromPath[str], lang: FromQuery[str | None] = None
) -> Response[Any]:
    language = negotiate(request.headers.get("accept-language"), lang)
    receipt = await _receipt(token, language)
    if receipt is None:
        return _not_found(request, language, html=False)
    if not receipt.signed.values:
        return _problem(
            translator(language).gettext(messages.NO_SIGNED_METER_DATA), "no_signed_data"
        )
    return Response(
        render_signed_data(receipt),
        media_type=MediaType.TEXT,  # Litestar adds the UTF-8 charset
        headers=PRIVATE_HEADERS
        | {"Content-Disposition": f'attachment; filename="{receipt.signed_data_filename}"'},
    )


async def _receipt(token: str, language: str) -> Receipt | None:
    if not _TOKEN.fullmatch(token):
        return None
    try:
        cdr = await cdr_for_receipt(token)
    except NotFound:
        return None
    path = f"/r/{quote(token)}"
    links = ReceiptLinks(
        pdf=f"{path}{_PDF_SUFFIX}?lang={language}",
        signed_data=f"{path}/signed-data?lang={language}",
        languages={code: f"{path}?lang={code}" for code in SUPPORTED_LANGUAGES},
    )
    return await load_receipt(cdr, language, links=links)


def _not_found(request: Request[Any, Any, Any], language: str, *, html: bool) -> Response[Any]:
    """Plain words for a mistyped or cut-off link: a page for browsers, else a problem."""
    if html:
        best = request.accept.best_match(
            [MediaType.HTML, "application/problem+json", MediaType.JSON], default=MediaType.HTML
        )
        if best == MediaType.HTML:
            return Response(
                render_not_found_html(language),
                status_code=404,
                media_type=MediaType.HTML,
                headers=_PAGE_HEADERS,
            )
    return _problem(translator(language).gettext(messages.RECEIPT_NOT_FOUND), "not_found")


def _problem(title: str, code: str) -> Response[Any]:
    return Response(
        {"type": "about:blank", "title": title, "status": 404, "code": code},
        status_code=404,
        media_type="application/problem+json",
        headers=PRIVATE_HEADERS,
    )
