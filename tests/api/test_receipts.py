"""Receipts as a driver sees them: open the link, read the page, download the PDF and the
signed meter data — in German and in English, with no account."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader

from cpo.cdrs import service as cdrs
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.receipt import (
    OperatorDetails,
    PaymentMethod,
    ReceiptLinks,
    build_receipt,
    render_html,
    render_pdf,
)
from cpo.cdrs.service import CdrView, SignedValue
from cpo.context import Context
from cpo.operators.tables import Operator
from cpo.sessions import service as sessions
from cpo.sessions.schemas import MeterReading, SampledValue, StartReport, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope
from cpo.tariffs.schemas import (
    ComponentType,
    LineType,
    PriceComponent,
    PriceLine,
    TariffDefinition,
    TariffElement,
)
from tests.support.platform import RunningPlatform

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
ANNA = "04A2B3C4D5E6F7"  # an RFID card of the demo operator, charging under the ad hoc tariff
OCMF = (
    'OCMF|{"FV":"1.0","GI":"DEMO","GS":"4711","PG":"T1","MV":"Demo","MS":"4711",'
    '"IS":false,"IT":"ISO14443","ID":"04A2B3C4D5E6F7","RD":[{"TM":"2026-11-25T11:00:00,000+0100 S",'
    '"TX":"E","RV":72.5,"RI":"1-b:1.8.0","RU":"kWh","ST":"G"}]}|{"SD":"3045022100AB"}'
)
NBSP = "\N{NO-BREAK SPACE}"
PRIVATE_HEADERS = {
    "cache-control": "private, no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}


async def charge(
    ctx: Context,
    *,
    energy_wh: int,
    minutes: int = 60,
    connector: int = 1,
    signed: str | None = None,
) -> CdrView:
    """The driver holds the card to DEMO-AC-1, charges, unplugs: the session's record."""
    row = await ChargeStation.select().where(ChargeStation.identity == "DEMO-AC-1").first()
    assert row is not None
    ref = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    started = await sessions.start_transaction(
        ctx,
        ref,
        StartReport(connector_id=connector, id_tag=ANNA, meter_start_wh=50_000, timestamp=START),
    )
    stopped_at = START + timedelta(minutes=minutes)
    readings: tuple[MeterReading, ...] = ()
    if signed is not None:
        readings = (
            MeterReading(
                stopped_at,
                (SampledValue(value=signed, format="SignedData", context="Transaction.End"),),
            ),
        )
    await sessions.stop_transaction(
        ctx,
        ref,
        StopReport(
            transaction_id=started.transaction_id,
            meter_stop_wh=50_000 + energy_wh,
            timestamp=stopped_at,
            id_tag=ANNA,
            transaction_data=readings,
        ),
    )
    cdr = await cdrs.cdr_of_session(started.session_id)
    assert cdr is not None
    return cdr


def client(platform: RunningPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=platform.base_url, timeout=20)


def assert_private(response: httpx.Response) -> None:
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers[name] == value, name


async def test_the_german_receipt_shows_everything_the_law_and_the_driver_need(
    platform: RunningPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The demo's AC tariff: 0.49 €/kWh. 22.5 kWh → 11.025 € → 11.03 €; net 9.27 €, VAT 1.76 €.
    cdr = await charge(platform.ctx, energy_wh=22_500, signed=OCMF)
    assert cdr.gross_minor == 1103
    async with client(platform) as http:
        response = await http.get(
            f"/r/{cdr.receipt_token}",
            headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5", "Accept": "text/html"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_private(response)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="de">' in page
    for expected in (
        "Beleg",
        "DEM-00000001",
        # the operator's legal block
        "Demo Stadtwerke Laden GmbH",
        "Musterstraße 1",
        "10115 Berlin",
        "USt-IdNr.",
        "DE123456789",
        "Amtsgericht Charlottenburg HRB 123456",
        "support@example.org",
        "https://charge.example.org",
        # where and when, in Berlin time
        "DE*DEM*E0001*1",
        "DEMO-AC-1",
        "Parkhaus Mitte",
        "Alexanderplatz 1, 10178 Berlin",
        "25.11.2026, 10:00",
        "25.11.2026, 11:00",
        f"1{NBSP}h 00{NBSP}min",
        "Alle Zeiten in Ortszeit (Europe/Berlin).",
        # what
        f"22,500{NBSP}kWh",
        f"50,000{NBSP}kWh",
        f"72,500{NBSP}kWh",
        # the price line, VAT and total
        "Energie",
        f"0,49{NBSP}€/kWh",
        f"11,03{NBSP}€",
        "Nettobetrag",
        f"9,27{NBSP}€",
        f"MwSt. 19{NBSP}%",
        f"1,76{NBSP}€",
        "Gesamtbetrag",
        f"Alle Preise inkl. 19{NBSP}% MwSt.",
        # an RFID session: nothing was paid here
        "Dieser Ladevorgang wird über Ihren Ladevertrag abgerechnet.",
        # calibration law
        "Signierte Messdaten",
        "https://www.safe-ev.de/de/transparenzsoftware.php",
        "Transparenzsoftware",
        f'href="/r/{cdr.receipt_token}/signed-data?lang=de"',
        # the PDF and the other language
        f'href="/r/{cdr.receipt_token}.pdf?lang=de"',
        "PDF herunterladen",
        f'href="/r/{cdr.receipt_token}?lang=en"',
        "Vielen Dank, dass Sie bei Demo Stadtwerke Laden geladen haben.",
    ):
        assert expected in page, expected
    # The OCMF value is shown escaped (it is full of quotes), never as markup.
    assert "OCMF|{&quot;FV&quot;:&quot;1.0&quot;" in page
    assert "Gezahlter Betrag" not in page
    # The token is the only key to the receipt: the platform's own logs never carry it.
    # (Not counted: uvicorn's access log, which cpo.logs silences; the database drivers'
    # DEBUG echo of query parameters; the test's own HTTP client.)
    not_ours = {"uvicorn", "aiosqlite", "asyncpg", "httpx", "httpcore"}
    leaks = [
        record
        for record in caplog.records
        if record.name.split(".")[0] not in not_ours and cdr.receipt_token in record.getMessage()
    ]
    assert leaks == []
    assert any(record.name.startswith("cpo.") for record in caplog.records)


async def test_the_english_receipt_formats_for_english_readers(platform: RunningPlatform) -> None:
    cdr = await charge(platform.ctx, energy_wh=22_500)
    async with client(platform) as http:
        by_header = await http.get(
            f"/r/{cdr.receipt_token}", headers={"Accept-Language": "en-US,en;q=0.9"}
        )
        by_choice = await http.get(
            f"/r/{cdr.receipt_token}?lang=en", headers={"Accept-Language": "de"}
        )
    assert by_header.status_code == by_choice.status_code == 200
    assert by_header.text == by_choice.text
    page = by_header.text
    assert '<html lang="en">' in page
    for expected in (
        "Receipt",
        "Receipt number",
        "VAT ID",
        "DE123456789",
        "DE*DEM*E0001*1",
        "Alexanderplatz 1, 10178 Berlin",
        "25/11/2026, 10:00",
        "25/11/2026, 11:00",
        f"22.500{NBSP}kWh",
        "Energy",
        "€0.49/kWh",
        "€11.03",
        "Net amount",
        "€9.27",
        "VAT 19%",
        "€1.76",
        "Total",
        "This session is billed through your charging contract.",
        "This charge point does not sign its meter readings.",
        "Germany",
    ):
        assert expected in page, expected
    assert "/signed-data" not in page


async def test_each_price_line_shows_quantity_unit_price_and_amount(
    platform: RunningPlatform,
) -> None:
    ctx = platform.ctx
    created = await tariffs.create_tariff(
        ctx,
        1,
        tariffs.TariffInput(
            name="Bay 2",
            definition=TariffDefinition(
                currency="EUR",
                vat_rate_bp=1900,
                elements=(
                    TariffElement(
                        components=(
                            PriceComponent(type=ComponentType.ENERGY, price_micro=394_900),
                            PriceComponent(type=ComponentType.TIME, price_micro=20_000),
                            PriceComponent(type=ComponentType.FLAT, price_micro=1_000_000),
                        )
                    ),
                ),
            ),
        ),
    )
    await tariffs.assign_tariff(
        ctx,
        1,
        tariffs.Assignment(
            scope=AssignmentScope.EVSE, target="DE*DEM*E0001*2", tariff_id=created.id
        ),
    )
    # 10 kWh × 0.3949 € + 90 min × 0.02 € + 1.00 € = 6.749 € → 6.75 €.
    cdr = await charge(ctx, energy_wh=10_000, minutes=90, connector=2)
    assert cdr.gross_minor == 675
    async with client(platform) as http:
        german = (await http.get(f"/r/{cdr.receipt_token}?lang=de")).text
        english = (await http.get(f"/r/{cdr.receipt_token}?lang=en")).text
    for expected in (
        f'<th scope="row">Energie</th><td>10,000{NBSP}kWh</td><td>0,3949{NBSP}€/kWh</td>',
        f'<th scope="row">Ladezeit</th><td>90{NBSP}min</td><td>0,02{NBSP}€/min</td>',
        f'<th scope="row">Gebühr pro Ladevorgang</th><td>1</td><td>1,00{NBSP}€</td>',
        f"6,75{NBSP}€",
        "DE*DEM*E0001*2",
    ):
        assert expected in german, expected
    for expected in (
        f"<td>10.000{NBSP}kWh</td><td>€0.3949/kWh</td>",
        f"<td>90{NBSP}min</td><td>€0.02/min</td>",
        "Session fee",
        "€6.75",
    ):
        assert expected in english, expected


async def test_the_pdf_is_an_a4_document_with_the_same_content(platform: RunningPlatform) -> None:
    cdr = await charge(platform.ctx, energy_wh=22_500, signed=OCMF)
    async with client(platform) as http:
        response = await http.get(f"/r/{cdr.receipt_token}.pdf?lang=de")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="receipt-DEM-00000001.pdf"'
    assert_private(response)
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    width, height = (float(side) for side in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")
    for expected in (
        "Beleg DEM-00000001",
        "Demo Stadtwerke Laden GmbH",
        "DE123456789",
        "DE*DEM*E0001*1",
        "25.11.2026, 10:00",
        "22,500 kWh",
        "0,49 €/kWh",
        "11,03 €",
        "9,27 €",
        "MwSt. 19 %",
        "1,76 €",
        "Gesamtbetrag",
        # umlauts and ß, in the standard fonts' WinAnsi encoding
        "Zählerstand zu Beginn",
        "Musterstraße 1",
        "Dieser Ladevorgang wird über Ihren Ladevertrag abgerechnet.",
        "safe-ev.de",
    ):
        assert expected in text, expected
    assert reader.metadata is not None
    assert reader.metadata.title == "Beleg DEM-00000001 – Demo Stadtwerke Laden"


async def test_the_signed_meter_data_download_is_the_chargers_value_verbatim(
    platform: RunningPlatform,
) -> None:
    cdr = await charge(platform.ctx, energy_wh=22_500, signed=OCMF)
    async with client(platform) as http:
        response = await http.get(f"/r/{cdr.receipt_token}/signed-data?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="signed-meter-data-DEM-00000001.txt"'
    )
    assert_private(response)
    lines = response.text.splitlines()
    assert OCMF in lines
    values = [line for line in lines if line and not line.startswith("#")]
    assert values == [OCMF]
    header = "\n".join(line for line in lines if line.startswith("#"))
    for expected in (
        "Receipt number: DEM-00000001",
        "EVSE ID: DE*DEM*E0001*1",
        "Start: 25/11/2026, 10:00",
        "End: 25/11/2026, 11:00",
        "https://www.safe-ev.de/de/transparenzsoftware.php",
        "# Transaction.End, 2026-11-25T11:00:00+01:00",
    ):
        assert expected in header, expected


async def test_without_signed_values_there_is_nothing_to_download(
    platform: RunningPlatform,
) -> None:
    cdr = await charge(platform.ctx, energy_wh=5_000)
    async with client(platform) as http:
        response = await http.get(
            f"/r/{cdr.receipt_token}/signed-data", headers={"Accept-Language": "de"}
        )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_private(response)
    assert response.json()["code"] == "no_signed_data"
    assert response.json()["title"] == "Dieser Ladepunkt signiert seine Zählerstände nicht."


@pytest.mark.parametrize(
    "path",
    [
        "/r/" + "A" * 43,  # well-formed, but no such receipt
        "/r/" + "A" * 43 + ".pdf",
        "/r/" + "A" * 43 + "/signed-data",
        "/r/short",
        "/r/" + "x" * 65,
        "/r/not%20a%20token%3Cscript%3E",
    ],
)
async def test_unknown_links_are_404_in_plain_words(platform: RunningPlatform, path: str) -> None:
    async with client(platform) as http:
        as_json = await http.get(path, headers={"Accept": "application/json"})
        as_page = await http.get(
            path, headers={"Accept": "text/html,*/*;q=0.8", "Accept-Language": "de"}
        )
    for response in (as_json, as_page):
        assert response.status_code == 404
        assert_private(response)
    assert as_json.headers["content-type"].startswith("application/problem+json")
    assert as_json.json()["code"] == "not_found"
    assert as_json.json()["title"].startswith("We could not find this receipt.")
    if path.endswith((".pdf", "/signed-data")):
        assert as_page.headers["content-type"].startswith("application/problem+json")
    else:
        assert as_page.headers["content-type"].startswith("text/html")
        assert '<html lang="de">' in as_page.text
        assert "Beleg nicht gefunden" in as_page.text
        assert "<script>" not in as_page.text


async def test_operator_texts_are_escaped_in_page_and_pdf(platform: RunningPlatform) -> None:
    await Operator.update(
        {
            Operator.name: "<script>alert(1)</script> Laden",
            Operator.legal_name: 'Böse "Laden" & <b>Söhne</b> GmbH',
            Operator.website: "javascript:alert(1)",
            Operator.brand_primary_color: "red;}*{",  # 7 characters fit the column
        }
    ).where(Operator.id == 1)
    cdr = await charge(platform.ctx, energy_wh=1_000)
    async with client(platform) as http:
        page = (await http.get(f"/r/{cdr.receipt_token}?lang=de")).text
        pdf = await http.get(f"/r/{cdr.receipt_token}.pdf?lang=de")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Laden" in page
    assert "Böse &quot;Laden&quot; &amp; &lt;b&gt;Söhne&lt;/b&gt; GmbH" in page
    assert 'href="javascript:' not in page
    assert "red;}" not in page  # what is no "#rrggbb" colour falls back to the default
    assert "--primary:#0b5fff" in page
    assert pdf.status_code == 200
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert 'Böse "Laden" & <b>Söhne</b> GmbH' in text
    assert "<script>alert(1)</script> Laden" in text


async def test_a_correction_is_a_credit_note_and_a_corrected_receipt(
    platform: RunningPlatform,
) -> None:
    original = await charge(platform.ctx, energy_wh=22_500)
    credit, rebill = await cdrs.correct_cdr(
        platform.ctx, 1, original.id, reason="meter replaced", energy_wh=20_000
    )
    assert rebill is not None
    async with client(platform) as http:
        credit_de = (await http.get(f"/r/{credit.receipt_token}?lang=de")).text
        credit_en = (await http.get(f"/r/{credit.receipt_token}?lang=en")).text
        credit_pdf = await http.get(f"/r/{credit.receipt_token}.pdf?lang=de")
        rebill_de = (await http.get(f"/r/{rebill.receipt_token}?lang=de")).text
    assert "<h1>Gutschrift <span" in credit_de
    assert "Diese Gutschrift storniert den Beleg DEM-00000001." in credit_de
    assert f"-11,03{NBSP}€" in credit_de
    assert "Ladevertrag" not in credit_de  # nothing is billed by a credit note
    assert "<h1>Credit note <span" in credit_en
    assert "This credit note cancels receipt DEM-00000001." in credit_en
    assert "-€11.03" in credit_en
    pdf_text = PdfReader(io.BytesIO(credit_pdf.content)).pages[0].extract_text()
    assert f"Gutschrift {credit.number}" in pdf_text
    # 20 kWh × 0.49 € = 9.80 €; the original readings (22.5 kWh apart) would contradict it.
    assert "<h1>Korrigierter Beleg <span" in rebill_de
    assert "Dieser Beleg ersetzt den Beleg DEM-00000001." in rebill_de
    assert f"9,80{NBSP}€" in rebill_de
    assert "Zählerstand" not in rebill_de


def test_a_paid_session_shows_the_amount_and_the_masked_method() -> None:
    """Payments arrive in a later issue; the receipt is ready for what they will record."""
    moment = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)
    cdr = CdrView(
        id=7,
        operator_id=1,
        number="DEM-00000007",
        kind=CdrKind.SESSION,
        corrects_id=None,
        session_id=7,
        receipt_token="t" * 43,
        id_tag="",
        token_type="AD_HOC_USER",
        contract_id="",
        issuer_country_code="",
        issuer_party_id="",
        station_identity="DEMO-DC-1",
        evse_id="DE*DEM*E0004*1",
        site_name="Parkhaus Mitte",
        address="Alexanderplatz 1, 10178 Berlin",
        time_zone="Europe/Berlin",
        started_at=moment,
        stopped_at=moment + timedelta(minutes=75),
        meter_start_wh=None,
        meter_stop_wh=None,
        energy_wh=30_000,
        duration_s=75 * 60,
        charging_s=45 * 60,
        parking_s=30 * 60,
        currency="EUR",
        vat_rate_bp=1900,
        amounts_include_vat=True,
        lines=(
            PriceLine(
                type=LineType.ENERGY, quantity=30_000, unit_price_micro=690_000, amount_minor=2070
            ),
            PriceLine(
                type=LineType.PARKING_TIME,
                quantity=30 * 60,
                unit_price_micro=100_000,
                amount_minor=300,
            ),
        ),
        net_minor=1992,
        vat_minor=378,
        gross_minor=2370,
        tariff_name="DC ad hoc",
        tariff_version=1,
        payment_reference="pay_123",
        signed_data=(SignedValue(moment, "Transaction.Begin", OCMF),),
        reason="",
        created_at=moment + timedelta(minutes=76),
    )
    links = ReceiptLinks(pdf="x.pdf", signed_data="x/signed-data", languages={"de": "?lang=de"})
    receipt = build_receipt(
        cdr,
        OperatorDetails(name="Demo", legal_name="Demo GmbH", country="DE"),
        "de",
        links=links,
        payment_method=PaymentMethod("Visa", "4242"),
    )
    assert receipt.amount_paid is not None
    assert (receipt.amount_paid.label, receipt.amount_paid.value) == (
        "Gezahlter Betrag",
        f"23,70{NBSP}€",
    )
    assert receipt.payment_note == "Bezahlt mit Visa (Karte mit den Endziffern 4242)"
    assert receipt.details.start.value == "01.07.2026, 18:30"  # summer time
    assert receipt.details.meter_start is None
    assert [(line.label, line.quantity, line.unit_price) for line in receipt.lines] == [
        ("Energie", f"30,000{NBSP}kWh", f"0,69{NBSP}€/kWh"),
        ("Parkzeit", f"30{NBSP}min", f"0,10{NBSP}€/min"),
    ]
    page = render_html(receipt)
    assert "Bezahlt mit Visa (Karte mit den Endziffern 4242)" in page
    assert "Ladevertrag" not in page
    text = PdfReader(io.BytesIO(render_pdf(receipt))).pages[0].extract_text()
    assert "23,70" in text
    assert "Visa" in text
