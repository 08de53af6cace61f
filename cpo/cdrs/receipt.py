"""The driver's receipt of a charge detail record: a web page, a PDF and the signed meter data.

A `Receipt` is built once per request from a `CdrView` and the operator's legal details, with
every text already translated and every number, amount and time already formatted for one
language. The renderers below only lay it out, so the page and the PDF cannot disagree on
what a session cost, and neither contains a formatting decision of its own.

What it shows, and why:

- the operator's brand and legal block (legal name, address, VAT ID, commercial register,
  customer service, website): a receipt is a small invoice (German § 33 UStDV) and names
  who sold the energy;
- the receipt number (the CDR number), the issue date, EVSE ID, charge point, site and
  address, start and end in the site's time zone, duration, energy (kWh to the Wh) and the
  meter readings where they agree with the energy (a rebill corrects the energy, so its
  copied readings would contradict it and are left out);
- one line per price line with quantity, unit price (up to four decimals) and amount, then
  net, VAT with its rate and the total;
- how it was paid: "amount paid" whenever the session has a payment reference, plus the
  masked method when the payment layer can describe it (`PaymentMethod`: a brand and at most
  the last four digits), otherwise the note that the session is billed through the driver's
  contract (RFID cards, roaming partners);
- credit and rebill records get their own title ("Credit note", "Corrected receipt") and
  name the number of the receipt they cancel or replace;
- German calibration law (Eichrecht): where the charge point signed its meter values, the
  signed values exactly as received, a download of them and a pointer to the S.A.F.E.
  transparency software that checks them (`TRANSPARENCY_SOFTWARE_URL`).

PDF library: reportlab. Its 14 standard PDF fonts (Helvetica here) use WinAnsi encoding,
which covers the euro sign, German umlauts and ß, the no-break spaces of our formats and
the en dash, without shipping or embedding a font file; fpdf2's core fonts are Latin-1 only
and lack "€". The limit is the same encoding: text outside Western European scripts (an
operator naming a site "Łódź") prints as a box until a TrueType font is embedded.

Signed meter data format: a UTF-8 text file, chosen over the transparency software's XML
container because that container wants the meter's public key, which we do not receive
with the values. The file starts with comment lines (``#``) that name the receipt, the
EVSE ID and the times, and how to check the values; then each signed value follows exactly
as the charge point sent it (OCMF, EDL, …), after a comment line with its OCPP context and
time, separated by blank lines. An OCMF value is one line, which can be pasted as it is
into the transparency software; a value with line breaks of its own (some XML formats)
keeps them.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html import escape
from typing import Any, Final
from zoneinfo import ZoneInfo

import msgspec
from babel import Locale

from cpo import messages
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.service import CdrView, get_cdr
from cpo.errors import NotFound
from cpo.i18n import SUPPORTED_LANGUAGES, Translator, translator
from cpo.operators.tables import Operator
from cpo.payments.enums import PaymentState
from cpo.payments.tables import Payment
from cpo.tariffs.schemas import LineType, PriceLine

TRANSPARENCY_SOFTWARE_URL: Final = "https://www.safe-ev.de/de/transparenzsoftware.php"

_NBSP: Final = "\N{NO-BREAK SPACE}"
_HEX_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_DEFAULT_PRIMARY: Final = "#0b5fff"
_DEFAULT_ACCENT: Final = "#00a37a"
_SAFE_FILE_NAME: Final = re.compile(r"[^A-Za-z0-9_-]+")


# The receipt: everything translated and formatted, ready to lay out


class Entry(msgspec.Struct, frozen=True):
    """A labelled value, such as ("Energy charged", "22,500 kWh")."""

    label: str
    value: str


class Line(msgspec.Struct, frozen=True):
    """One price line; quantity and unit price are empty where they mean nothing
    (the adjustment to a minimum or maximum price)."""

    label: str
    quantity: str
    unit_price: str
    amount: str


class OperatorBlock(msgspec.Struct, frozen=True, kw_only=True):
    """Who sold the energy, as the law wants it on a receipt, and the brand it is sold under."""

    name: str
    legal_name: str
    address: tuple[str, ...]
    vat_id: str
    commercial_register: str
    support_email: str
    support_phone: str
    website: str
    logo_url: str
    primary_color: str
    accent_color: str


class Labels(msgspec.Struct, frozen=True, kw_only=True):
    """Headings and column names, translated."""

    operator: str
    charging_session: str
    price: str
    item: str
    quantity: str
    unit_price: str
    amount: str
    vat_id: str
    commercial_register: str
    customer_service: str
    language: str
    download_pdf: str


class SessionDetails(msgspec.Struct, frozen=True, kw_only=True):
    """Where, when and how much: the facts of the charging session."""

    receipt_number: Entry
    date: Entry
    evse_id: Entry
    charge_point: Entry
    location: Entry | None
    address: Entry | None
    start: Entry
    end: Entry
    duration: Entry
    energy: Entry
    meter_start: Entry | None
    meter_end: Entry | None

    def entries(self) -> tuple[Entry, ...]:
        """In reading order, without the ones that are unknown."""
        return tuple(
            entry
            for entry in (
                self.receipt_number,
                self.date,
                self.evse_id,
                self.charge_point,
                self.location,
                self.address,
                self.start,
                self.end,
                self.duration,
                self.energy,
                self.meter_start,
                self.meter_end,
            )
            if entry is not None
        )


class SignedValueText(msgspec.Struct, frozen=True):
    """One signed value exactly as the charge point sent it, with when and why it was sent."""

    context: str
    measured_at: str  # the receipt's local format, for people
    measured_at_iso: str  # ISO 8601 with the site's offset, for comparison with the value
    value: str


class SignedMeterData(msgspec.Struct, frozen=True, kw_only=True):
    heading: str
    explanation: str  # the pointer to the transparency software, or "does not sign"
    software_url: str  # empty when the charge point signed nothing
    how_to: str
    file_note: str  # for the downloaded file: which of its lines are values
    download_label: str
    values: tuple[SignedValueText, ...]


class LanguageLink(msgspec.Struct, frozen=True):
    language: str
    name: str  # in its own language ("Deutsch"), so that a reader finds their own
    href: str
    current: bool


class ReceiptLinks(msgspec.Struct, frozen=True, kw_only=True):
    """Where the page's links go; the web layer decides the URLs, not the core."""

    pdf: str
    signed_data: str
    languages: dict[str, str]  # language → href of the page in that language


class PaymentMethod(msgspec.Struct, frozen=True):
    """How a session was paid, masked as the payment provider reports it.

    Never more than a brand ("Visa", "PayPal", "Apple Pay") and the last four digits of a card.
    """

    brand: str
    last4: str = ""


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    language: str
    kind: CdrKind
    title: str  # "Receipt", "Credit note" or "Corrected receipt"
    number: str
    document_title: str  # for the browser tab and the PDF's metadata
    reference: str  # which receipt a credit note cancels or a rebill replaces; else empty
    operator: OperatorBlock
    labels: Labels
    details: SessionDetails
    local_times: str
    lines: tuple[Line, ...]
    vat_note: str
    net: Entry
    vat: Entry
    total: Entry
    amount_paid: Entry | None
    payment_note: str  # "Paid with …", "billed through your contract", or empty
    thank_you: str
    signed: SignedMeterData
    pdf_href: str
    signed_data_href: str
    languages: tuple[LanguageLink, ...]
    pdf_filename: str
    signed_data_filename: str


class OperatorDetails(msgspec.Struct, frozen=True, kw_only=True):
    """The operator's brand and legal details, as stored."""

    name: str
    legal_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""
    commercial_register: str = ""
    website: str = ""
    support_email: str = ""
    support_phone: str = ""
    logo_url: str = ""
    brand_primary_color: str = _DEFAULT_PRIMARY
    brand_accent_color: str = _DEFAULT_ACCENT


# Loading


async def operator_details(operator_id: int) -> OperatorDetails:
    columns = [name for name in OperatorDetails.__struct_fields__]
    row = (
        await Operator.select(*(getattr(Operator, name) for name in columns))
        .where(Operator.id == operator_id)
        .first()
    )
    if row is None:
        raise NotFound(f"no operator {operator_id}")
    return OperatorDetails(**{name: row[name] or "" for name in columns})


async def load_receipt(
    cdr: CdrView,
    language: str,
    *,
    links: ReceiptLinks,
    payment_method: PaymentMethod | None = None,
) -> Receipt:
    """The receipt of a record with the operator's details and, for a correction, the number
    of the record it corrects."""
    operator = await operator_details(cdr.operator_id)
    corrected_number = None
    if cdr.corrects_id is not None:
        corrected_number = (await get_cdr(cdr.operator_id, cdr.corrects_id)).number
    paid = await _ad_hoc_payment(cdr)
    if paid is not None:
        payment_method = payment_method or paid.method
    return build_receipt(
        cdr,
        operator,
        language,
        links=links,
        corrected_number=corrected_number,
        payment_method=payment_method,
        paid_minor=None if paid is None else paid.amount_minor,
        paid_ad_hoc=paid is not None,
    )


class _AdHocPayment(msgspec.Struct, frozen=True):
    amount_minor: int | None  # None until the capture went through
    method: PaymentMethod | None


async def _ad_hoc_payment(cdr: CdrView) -> _AdHocPayment | None:
    """A session paid at the charger: what was taken, and with what (masked)."""
    row = (
        await Payment.select(
            Payment.state,
            Payment.amount_captured_minor,
            Payment.method_kind,
            Payment.method_brand,
            Payment.method_last4,
        )
        .where(Payment.ad_hoc_session._.charging_session == cdr.session_id)
        .first()
    )
    if row is None or cdr.kind is CdrKind.CREDIT:
        return None
    captured = row["state"] in {PaymentState.CAPTURED, PaymentState.REFUNDED}
    method = None
    if row["method_kind"] == "paypal":
        method = PaymentMethod(brand="PayPal")
    elif row["method_brand"] or row["method_last4"]:
        brand = {"apple_pay": "Apple Pay", "google_pay": "Google Pay"}.get(
            row["method_kind"], row["method_brand"].title()
        )
        method = PaymentMethod(brand=brand, last4=row["method_last4"])
    return _AdHocPayment(row["amount_captured_minor"] if captured else None, method)


# Building


def build_receipt(
    cdr: CdrView,
    operator: OperatorDetails,
    language: str,
    *,
    links: ReceiptLinks,
    corrected_number: str | None = None,
    payment_method: PaymentMethod | None = None,
    paid_minor: int | None = None,
    paid_ad_hoc: bool = False,
) -> Receipt:
    """Translate and format everything a receipt says, in one language.

    `paid_ad_hoc`: the session was paid at the charger; `paid_minor` is what was taken
    (None while the capture is still under way).
    """
    t = translator(language)
    _ = t.gettext
    brand = operator.name or operator.legal_name
    title, reference = _title(t, cdr.kind, corrected_number)
    currency = cdr.currency
    amount_paid = None
    payment_note = ""
    if cdr.kind is not CdrKind.CREDIT:
        if paid_ad_hoc:
            if paid_minor is not None:
                amount_paid = Entry(_(messages.AMOUNT_PAID), t.money(paid_minor, currency))
            method = "" if payment_method is None else _payment_method(t, payment_method)
            if method:
                payment_note = _(messages.PAID_WITH).format(method=method)
        elif cdr.payment_reference:
            amount_paid = Entry(_(messages.AMOUNT_PAID), t.money(cdr.gross_minor, currency))
            method = "" if payment_method is None else _payment_method(t, payment_method)
            if method:
                payment_note = _(messages.PAID_WITH).format(method=method)
        else:
            payment_note = _(messages.BILLED_TO_CONTRACT)
    if cdr.amounts_include_vat:
        vat_note = _(messages.VAT_INCLUDED).format(vat=t.percent(cdr.vat_rate_bp))
    else:
        vat_note = _(messages.AMOUNTS_EXCLUDE_VAT)
    signs = bool(cdr.signed_data)
    file_stem = _SAFE_FILE_NAME.sub("-", cdr.number).strip("-") or "receipt"
    return Receipt(
        language=language,
        kind=cdr.kind,
        title=title,
        number=cdr.number,
        document_title=f"{title} {cdr.number} – {brand}",
        reference=reference,
        operator=_operator_block(operator, language),
        labels=Labels(
            operator=_(messages.OPERATOR),
            charging_session=_(messages.CHARGING_SESSION),
            price=_(messages.PRICE),
            item=_(messages.ITEM),
            quantity=_(messages.QUANTITY),
            unit_price=_(messages.UNIT_PRICE),
            amount=_(messages.AMOUNT),
            vat_id=_(messages.VAT_ID),
            commercial_register=_(messages.COMMERCIAL_REGISTER),
            customer_service=_(messages.CUSTOMER_SERVICE),
            language=_(messages.LANGUAGE),
            download_pdf=_(messages.DOWNLOAD_PDF),
        ),
        details=_details(t, cdr),
        local_times=_(messages.LOCAL_TIMES).format(zone=cdr.time_zone),
        lines=tuple(_line(t, line, currency) for line in cdr.lines),
        vat_note=vat_note,
        net=Entry(_(messages.NET_AMOUNT), t.money(cdr.net_minor, currency)),
        vat=Entry(
            _(messages.VAT_RATE).format(rate=t.percent(cdr.vat_rate_bp)),
            t.money(cdr.vat_minor, currency),
        ),
        total=Entry(_(messages.TOTAL), t.money(cdr.gross_minor, currency)),
        amount_paid=amount_paid,
        payment_note=payment_note,
        thank_you=_(messages.THANK_YOU).format(operator=brand),
        signed=SignedMeterData(
            heading=_(messages.SIGNED_METER_DATA),
            explanation=(
                _(messages.TRANSPARENCY_SOFTWARE).format(url=TRANSPARENCY_SOFTWARE_URL)
                if signs
                else _(messages.NO_SIGNED_METER_DATA)
            ),
            software_url=TRANSPARENCY_SOFTWARE_URL if signs else "",
            how_to=_(messages.SIGNED_VALUES_HOW_TO) if signs else "",
            file_note=_(messages.SIGNED_VALUES_FILE) if signs else "",
            download_label=_(messages.DOWNLOAD_SIGNED_METER_DATA),
            values=tuple(
                SignedValueText(
                    context=value.context,
                    measured_at=t.datetime(value.measured_at, cdr.time_zone),
                    measured_at_iso=value.measured_at.astimezone(
                        ZoneInfo(cdr.time_zone)
                    ).isoformat(),
                    value=value.value,
                )
                for value in cdr.signed_data
            ),
        ),
        pdf_href=links.pdf,
        signed_data_href=links.signed_data if signs else "",
        languages=tuple(
            LanguageLink(
                language=code,
                name=Locale.parse(code).get_display_name(code) or code,
                href=links.languages[code],
                current=code == language,
            )
            for code in SUPPORTED_LANGUAGES
            if code in links.languages
        ),
        pdf_filename=f"receipt-{file_stem}.pdf",
        signed_data_filename=f"signed-meter-data-{file_stem}.txt",
    )


def _title(t: Translator, kind: CdrKind, corrected_number: str | None) -> tuple[str, str]:
    _ = t.gettext
    if kind is CdrKind.CREDIT:
        reference = _(messages.CANCELS_RECEIPT).format(number=corrected_number)
        return _(messages.CREDIT_NOTE), reference if corrected_number else ""
    if kind is CdrKind.REBILL:
        reference = _(messages.REPLACES_RECEIPT).format(number=corrected_number)
        return _(messages.CORRECTED_RECEIPT), reference if corrected_number else ""
    return _(messages.RECEIPT), ""


def _payment_method(t: Translator, method: PaymentMethod) -> str:
    if method.last4:
        card = t.gettext(messages.CARD_ENDING_IN).format(last4=method.last4[-4:])
        return f"{method.brand} ({card})" if method.brand else card
    return method.brand


def _operator_block(operator: OperatorDetails, language: str) -> OperatorBlock:
    town = " ".join(part for part in (operator.postal_code, operator.city) if part)
    country = ""
    if operator.country:
        country = Locale.parse(language).territories.get(operator.country.upper(), "")
    return OperatorBlock(
        name=operator.name or operator.legal_name,
        legal_name=operator.legal_name or operator.name,
        address=tuple(part for part in (operator.street, town, country) if part),
        vat_id=operator.vat_id,
        commercial_register=operator.commercial_register,
        support_email=operator.support_email,
        support_phone=operator.support_phone,
        website=operator.website,
        logo_url=operator.logo_url if operator.logo_url.startswith("https://") else "",
        primary_color=_color(operator.brand_primary_color, _DEFAULT_PRIMARY),
        accent_color=_color(operator.brand_accent_color, _DEFAULT_ACCENT),
    )


def _color(value: str, default: str) -> str:
    """Only "#rrggbb" reaches a style sheet: escaping does not make CSS safe."""
    return value.lower() if _HEX_COLOR.fullmatch(value or "") else default


def _details(t: Translator, cdr: CdrView) -> SessionDetails:
    _ = t.gettext
    zone = cdr.time_zone
    # The readings only go on the receipt when they agree with the billed energy: a rebill
    # corrects the energy but keeps the original (wrong) readings.
    readings_agree = (
        cdr.meter_start_wh is not None
        and cdr.meter_stop_wh is not None
        and cdr.meter_stop_wh - cdr.meter_start_wh == cdr.energy_wh
    )
    return SessionDetails(
        receipt_number=Entry(_(messages.RECEIPT_NUMBER), cdr.number),
        date=Entry(_(messages.DATE), t.date(cdr.created_at, zone)),
        evse_id=Entry(_(messages.EVSE_ID), cdr.evse_id or "–"),
        charge_point=Entry(_(messages.CHARGE_POINT), cdr.station_identity),
        location=Entry(_(messages.LOCATION), cdr.site_name) if cdr.site_name else None,
        address=Entry(_(messages.ADDRESS), cdr.address) if cdr.address else None,
        start=Entry(_(messages.START), t.datetime(cdr.started_at, zone)),
        end=Entry(_(messages.END), t.datetime(cdr.stopped_at, zone)),
        duration=Entry(_(messages.DURATION), t.duration(max(0, cdr.duration_s))),
        energy=Entry(_(messages.ENERGY_CHARGED), t.energy_kwh(cdr.energy_wh)),
        meter_start=(
            Entry(_(messages.METER_START), t.energy_kwh(cdr.meter_start_wh))
            if readings_agree and cdr.meter_start_wh is not None
            else None
        ),
        meter_end=(
            Entry(_(messages.METER_END), t.energy_kwh(cdr.meter_stop_wh))
            if readings_agree and cdr.meter_stop_wh is not None
            else None
        ),
    )


_LINE_LABELS: Final = {
    LineType.ENERGY: messages.ENERGY,
    LineType.TIME: messages.CHARGING_TIME,
    LineType.PARKING_TIME: messages.PARKING_TIME,
    LineType.FLAT: messages.SESSION_FEE,
    LineType.MINIMUM_PRICE: messages.MINIMUM_PRICE_ADJUSTMENT,
    LineType.MAXIMUM_PRICE: messages.MAXIMUM_PRICE_ADJUSTMENT,
}


def _line(t: Translator, line: PriceLine, currency: str) -> Line:
    label = t.gettext(_LINE_LABELS[line.type])
    amount = t.money(line.amount_minor, currency)
    if line.type is LineType.ENERGY:
        quantity = t.energy_kwh(line.quantity)
        unit_price = t.unit_price(line.unit_price_micro, currency, "kWh")
    elif line.type in (LineType.TIME, LineType.PARKING_TIME):
        quantity = _minutes(t, line.quantity)
        unit_price = t.unit_price(line.unit_price_micro, currency, "min")
    elif line.type is LineType.FLAT:
        quantity = t.decimal(line.quantity, 0)
        # The translator formats unit prices only with a unit; a session fee has none.
        unit_price = t.unit_price(line.unit_price_micro, currency, "-").removesuffix("/-")
    else:
        quantity = unit_price = ""
    return Line(label, quantity, unit_price, amount)


def _minutes(t: Translator, seconds: int) -> str:
    """Billed time in minutes (the unit its price is per): whole ones plain, else 2 decimals."""
    whole, rest = divmod(seconds, 60)
    number = t.decimal(whole, 0) if not rest else t.decimal(Decimal(seconds) / 60, 2)
    return f"{number}{_NBSP}min"


# Signed meter data


def render_signed_data(receipt: Receipt) -> str:
    """The signed values as a text file for the transparency software (format: module doc)."""
    details = receipt.details
    header = [
        receipt.signed.heading,
        f"{details.receipt_number.label}: {receipt.number}",
        f"{details.evse_id.label}: {details.evse_id.value}",
        f"{details.start.label}: {details.start.value}",
        f"{details.end.label}: {details.end.value}",
        receipt.signed.explanation,
        receipt.signed.how_to,
        receipt.signed.file_note,
    ]
    parts = ["\n".join(f"# {_one_line(text)}" for text in header if text)]
    for value in receipt.signed.values:
        context = f"{value.context}, " if value.context else ""
        parts.append(f"# {_one_line(context + value.measured_at_iso)}\n{value.value}")
    return "\n\n".join(parts) + "\n"


def _one_line(text: str) -> str:
    """A comment stays one line, whatever an operator typed into a name."""
    return " ".join(text.split())


# HTML


def render_html(receipt: Receipt) -> str:
    """A complete, small HTML5 page: responsive, accessible, printable, every value escaped."""
    operator = receipt.operator
    labels = receipt.labels
    e = _escape
    languages = "".join(
        (
            f'<li><a href="{e(link.href)}" hreflang="{e(link.language)}" '
            f'lang="{e(link.language)}"'
            + (' aria-current="page"' if link.current else "")
            + f">{e(link.name)}</a></li>"
        )
        for link in receipt.languages
    )
    logo = (
        f'<img class="logo" src="{e(operator.logo_url)}" alt="" height="40">'
        if operator.logo_url
        else ""
    )
    reference = f'<p class="reference">{e(receipt.reference)}</p>' if receipt.reference else ""
    details = "".join(
        f"<dt>{e(entry.label)}</dt><dd>{e(entry.value)}</dd>" for entry in receipt.details.entries()
    )
    lines = "".join(
        f'<tr><th scope="row">{e(line.label)}</th><td>{e(line.quantity)}</td>'
        f"<td>{e(line.unit_price)}</td><td>{e(line.amount)}</td></tr>"
        for line in receipt.lines
    )
    totals = "".join(
        f'<tr class="{css}"><th scope="row" colspan="3">{e(entry.label)}</th>'
        f"<td>{e(entry.value)}</td></tr>"
        for css, entry in (("net", receipt.net), ("vat", receipt.vat), ("total", receipt.total))
    )
    payment = ""
    if receipt.amount_paid is not None:
        payment += (
            f'<p class="paid"><span>{e(receipt.amount_paid.label)}</span> '
            f"<strong>{e(receipt.amount_paid.value)}</strong></p>"
        )
    if receipt.payment_note:
        payment += f"<p>{e(receipt.payment_note)}</p>"
    signed = receipt.signed
    if signed.values:
        values = "".join(
            f'<li><p class="context">{e(value.context) + " · " if value.context else ""}'
            f'<time datetime="{e(value.measured_at_iso)}">{e(value.measured_at)}</time></p>'
            f"<pre><code>{e(value.value)}</code></pre></li>"
            for value in signed.values
        )
        explanation = e(signed.explanation).replace(
            e(signed.software_url),
            f'<a href="{e(signed.software_url)}" rel="noopener noreferrer">'
            f"{e(signed.software_url)}</a>",
        )
        signed_section = (
            f"<p>{explanation}</p><p>{e(signed.how_to)}</p>"
            f'<p class="actions"><a class="button" href="{e(receipt.signed_data_href)}" '
            f'download="{e(receipt.signed_data_filename)}">{e(signed.download_label)}</a></p>'
            f'<ol class="signed">{values}</ol>'
        )
    else:
        signed_section = f"<p>{e(signed.explanation)}</p>"
    return f"""<!DOCTYPE html>
<html lang="{e(receipt.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{e(receipt.document_title)}</title>
<style>{_css(operator)}</style>
</head>
<body>
<header class="brand">
<div class="wrap">{logo}<p class="name">{e(operator.name)}</p>
<nav aria-label="{e(labels.language)}"><ul>{languages}</ul></nav></div>
</header>
<main class="wrap">
<h1>{e(receipt.title)} <span class="number">{e(receipt.number)}</span></h1>
{reference}
<p class="actions"><a class="button" href="{e(receipt.pdf_href)}" type="application/pdf">\
{e(labels.download_pdf)}</a></p>
<section aria-labelledby="session">
<h2 id="session">{e(labels.charging_session)}</h2>
<dl>{details}</dl>
<p class="note">{e(receipt.local_times)}</p>
</section>
<section aria-labelledby="price">
<h2 id="price">{e(labels.price)}</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">{e(labels.item)}</th><th scope="col">{e(labels.quantity)}</th>\
<th scope="col">{e(labels.unit_price)}</th><th scope="col">{e(labels.amount)}</th></tr></thead>
<tbody>{lines}</tbody>
<tfoot>{totals}</tfoot>
</table></div>
<p class="note">{e(receipt.vat_note)}</p>
{payment}
</section>
<section aria-labelledby="signed">
<h2 id="signed">{e(signed.heading)}</h2>
{signed_section}
</section>
<p class="thanks">{e(receipt.thank_you)}</p>
</main>
<footer class="wrap">
<h2>{e(labels.operator)}</h2>
{_operator_html(receipt)}
</footer>
</body>
</html>
"""


def _operator_html(receipt: Receipt) -> str:
    operator = receipt.operator
    labels = receipt.labels
    e = _escape
    address = "<br>".join(e(line) for line in operator.address)
    parts = [f"<p><strong>{e(operator.legal_name)}</strong><br>{address}</p>", "<dl>"]
    if operator.vat_id:
        parts.append(f"<dt>{e(labels.vat_id)}</dt><dd>{e(operator.vat_id)}</dd>")
    if operator.commercial_register:
        parts.append(
            f"<dt>{e(labels.commercial_register)}</dt><dd>{e(operator.commercial_register)}</dd>"
        )
    contacts = []
    if operator.support_email:
        contacts.append(
            f'<a href="mailto:{e(operator.support_email)}">{e(operator.support_email)}</a>'
        )
    if operator.support_phone:
        phone = re.sub(r"[^0-9+]", "", operator.support_phone)
        contacts.append(f'<a href="tel:{e(phone)}">{e(operator.support_phone)}</a>')
    if contacts:
        parts.append(f"<dt>{e(labels.customer_service)}</dt><dd>{' · '.join(contacts)}</dd>")
    parts.append("</dl>")
    if operator.website.startswith(("https://", "http://")):
        parts.append(f'<p><a href="{e(operator.website)}">{e(operator.website)}</a></p>')
    elif operator.website:
        parts.append(f"<p>{e(operator.website)}</p>")
    return "".join(parts)


def _escape(value: str) -> str:
    return escape(value, quote=True)


def _css(operator: OperatorBlock) -> str:
    primary, accent = operator.primary_color, operator.accent_color
    on_primary = _readable_on(primary)
    # Links and headings take a brand colour only where it reads on white (WCAG AA, 4.5:1).
    link = next((color for color in (accent, primary) if _luminance(color) <= 0.183), "#1d2228")
    return f"""
:root{{--primary:{primary};--on-primary:{on_primary};--accent:{link};--line:#d7dbe0}}
*{{box-sizing:border-box}}
body{{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d2228;background:#f4f5f7}}
.wrap{{max-width:42rem;margin:0 auto;padding:0 1rem}}
.brand{{background:var(--primary);color:var(--on-primary);border-bottom:4px solid {accent}}}
.brand .wrap{{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.75rem 1rem}}
.brand .name{{margin:0;font-weight:700;font-size:1.15rem;flex:1}}
.brand .logo{{max-height:40px;width:auto}}
.brand ul{{display:flex;gap:.75rem;list-style:none;margin:0;padding:0}}
.brand a{{color:inherit}}
.brand a[aria-current]{{font-weight:700;text-decoration:none}}
main{{background:#fff;padding-top:1rem;padding-bottom:1rem}}
h1{{font-size:1.5rem;margin:.5rem 0}}
h1 .number{{font-weight:400;white-space:nowrap}}
h2{{font-size:1.1rem;margin:1.5rem 0 .5rem;color:var(--accent)}}
a{{color:var(--accent)}}
.button{{display:inline-block;padding:.5rem 1rem;border:2px solid var(--accent);
border-radius:.4rem;font-weight:600;text-decoration:none}}
.button:focus-visible,a:focus-visible{{outline:3px solid var(--accent);outline-offset:2px}}
dl{{display:grid;grid-template-columns:minmax(8rem,auto) 1fr;gap:.25rem 1rem;margin:0}}
dt{{color:#4a525c}}
dd{{margin:0;overflow-wrap:anywhere}}
.scroll{{overflow-x:auto}}
table{{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}}
th,td{{padding:.4rem .3rem;border-bottom:1px solid var(--line);text-align:right;
vertical-align:top}}
th:first-child{{text-align:left}}
thead th{{font-size:.85rem;color:#4a525c;font-weight:600}}
tbody th{{font-weight:400}}
tfoot .total th,tfoot .total td{{font-weight:700;font-size:1.1rem;border-bottom:3px double #1d2228}}
.note,.reference,.context{{color:#4a525c;font-size:.9rem}}
.paid strong{{font-size:1.1rem}}
.signed{{padding-left:1.2rem}}
pre{{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f4f5f7;
padding:.5rem;margin:.25rem 0 1rem}}
.thanks{{margin-top:1.5rem;font-weight:600}}
footer{{font-size:.9rem;color:#4a525c;padding-top:1rem;padding-bottom:2rem}}
footer h2{{color:inherit;font-size:1rem}}
@media (max-width:30rem){{dl{{grid-template-columns:1fr}}dt{{margin-top:.4rem}}
body{{font-size:15px}}table{{font-size:.8rem}}th,td{{padding:.35rem .15rem}}}}
@media print{{
@page{{size:A4;margin:15mm}}
body{{background:#fff;color:#000;font-size:11pt}}
.brand{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
.brand nav,.actions{{display:none}}
main,footer{{padding:0}}
.wrap{{max-width:none}}
a{{color:inherit;text-decoration:none}}
section,tr{{break-inside:avoid}}
}}
"""


def _luminance(color: str) -> float:
    """Relative luminance (WCAG 2) of "#rrggbb"."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[index : index + 2]) for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _readable_on(background: str) -> str:
    """Black or white, whichever contrasts more with an operator's brand colour."""
    luminance = _luminance(background)
    return "#000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#fff"


def render_not_found_html(language: str, languages: dict[str, str] | None = None) -> str:
    """The page for an unknown or mistyped receipt link, in plain words."""
    t = translator(language)
    title = t.gettext(messages.RECEIPT_NOT_FOUND_TITLE)
    return f"""<!DOCTYPE html>
<html lang="{_escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{_escape(title)}</title>
<style>body{{margin:0 auto;max-width:36rem;padding:2rem 1rem;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2228}}</style>
</head>
<body>
<main>
<h1>{_escape(title)}</h1>
<p>{_escape(t.gettext(messages.RECEIPT_NOT_FOUND))}</p>
</main>
</body>
</html>
"""


# PDF


def render_pdf(receipt: Receipt) -> bytes:
    """The receipt on A4, with the same content as the page (CPU-bound: call it in a thread)."""
    # Imported on first use: reportlab is large and only the PDF route needs it. It ships
    # without type hints; the tests exercise every name used here.
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    operator = receipt.operator
    labels = receipt.labels
    primary = colors.HexColor(operator.primary_color)
    accent = colors.HexColor(operator.accent_color)
    grey = colors.HexColor("#4a525c")

    def style(name: str, **options: Any) -> Any:
        base: dict[str, Any] = {"fontName": "Helvetica", "fontSize": 9.5, "leading": 12.5}
        return ParagraphStyle(name, **(base | options))

    body = style("body")
    small = style("small", fontSize=8, leading=10, textColor=grey)
    brand = style("brand", fontName="Helvetica-Bold", fontSize=15, leading=19, textColor=primary)
    title = style("title", fontName="Helvetica-Bold", fontSize=17, leading=22, spaceBefore=4)
    heading = style(
        "heading", fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=10, spaceAfter=4
    )
    right = style("right", alignment=TA_RIGHT)
    bold_right = style("bold_right", alignment=TA_RIGHT, fontName="Helvetica-Bold", fontSize=11)
    bold = style("bold", fontName="Helvetica-Bold", fontSize=11)
    code = style("code", fontName="Courier", fontSize=6.5, leading=8, wordWrap="CJK")

    def p(text: str, paragraph_style: Any = body) -> Any:
        return Paragraph(_pdf_text(text), paragraph_style)

    # The page less its margins, less the 6 pt padding on each side of platypus' frame.
    width = A4[0] - 2 * _MARGIN - 12
    legal: list[str] = [f"<b>{_pdf_text(operator.legal_name)}</b>"]
    legal += [_pdf_text(line) for line in operator.address]
    if operator.vat_id:
        legal.append(_pdf_text(f"{labels.vat_id}: {operator.vat_id}"))
    if operator.commercial_register:
        legal.append(_pdf_text(f"{labels.commercial_register}: {operator.commercial_register}"))
    contacts = " · ".join(c for c in (operator.support_email, operator.support_phone) if c)
    if contacts:
        legal.append(_pdf_text(f"{labels.customer_service}: {contacts}"))
    if operator.website:
        legal.append(_pdf_text(operator.website))
    header = Table(
        [[p(operator.name, brand), Paragraph("<br/>".join(legal), small)]],
        colWidths=[width * 0.5, width * 0.5],
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 2, accent),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    story: list[Any] = [header, Spacer(1, 6 * mm), p(f"{receipt.title} {receipt.number}", title)]
    if receipt.reference:
        story.append(p(receipt.reference))
    story.append(p(labels.charging_session, heading))
    details = Table(
        [[p(entry.label, small), p(entry.value)] for entry in receipt.details.entries()],
        colWidths=[width * 0.32, width * 0.68],
    )
    details.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), _NO_SIDE_PADDING]))
    story += [details, p(receipt.local_times, small), p(labels.price, heading)]

    rows: list[list[Any]] = [
        [p(labels.item, small)]
        + [
            p(text, style("head_right", parent=small, alignment=TA_RIGHT))
            for text in (
                labels.quantity,
                labels.unit_price,
                labels.amount,
            )
        ]
    ]
    rows += [
        [p(line.label), p(line.quantity, right), p(line.unit_price, right), p(line.amount, right)]
        for line in receipt.lines
    ]
    first_total = len(rows)
    for entry in (receipt.net, receipt.vat):
        rows.append([p(entry.label), "", "", p(entry.value, right)])
    rows.append([p(receipt.total.label, bold), "", "", p(receipt.total.value, bold_right)])
    prices = Table(rows, colWidths=[width * 0.37, width * 0.21, width * 0.21, width * 0.21])
    prices.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, grey),
                ("LINEABOVE", (0, first_total), (-1, first_total), 0.5, grey),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("SPAN", (0, first_total), (2, first_total)),
                ("SPAN", (0, first_total + 1), (2, first_total + 1)),
                ("SPAN", (0, -1), (2, -1)),
                _NO_SIDE_PADDING,
            ]
        )
    )
    story += [prices, p(receipt.vat_note, small), Spacer(1, 3 * mm)]
    if receipt.amount_paid is not None:
        paid = receipt.amount_paid
        story.append(Paragraph(f"{_pdf_text(paid.label)}: <b>{_pdf_text(paid.value)}</b>", body))
    if receipt.payment_note:
        story.append(p(receipt.payment_note))

    signed = receipt.signed
    story += [p(signed.heading, heading), p(signed.explanation)]
    if signed.values:
        story.append(p(signed.how_to, small))
        for value in signed.values:
            caption = " · ".join(part for part in (value.context, value.measured_at) if part)
            story += [Spacer(1, 2 * mm), KeepTogether([p(caption, small), p(value.value, code)])]
    story += [Spacer(1, 6 * mm), p(receipt.thank_you, bold)]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(grey)
        canvas.drawString(
            _MARGIN,
            10 * mm,
            " · ".join(
                part for part in (operator.legal_name, receipt.number, str(document.page)) if part
            ),
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=receipt.document_title,
        author=operator.legal_name,
        subject=receipt.title,
        creator=operator.name,
        lang=receipt.language,
        displayDocTitle=True,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


_NO_SIDE_PADDING: Final = ("LEFTPADDING", (0, 0), (0, -1), 0)
_MARGIN: Final = 18 * 72 / 25.4  # 18 mm in points


def _pdf_text(text: str) -> str:
    """reportlab reads paragraphs as a small markup language: a "<" in a name must stay text."""
    return escape(text, quote=False)
