"""Languages, catalogs and formats: what a driver reads, in German and in English."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from string import Formatter
from typing import TypeAlias

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from cpo import messages
from cpo.i18n import (
    CATALOG_DIR,
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    Translator,
    catalog_path,
    compile_catalog,
    negotiate,
    translator,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TEMPLATE = CATALOG_DIR / "messages.pot"
NBSP = "\N{NO-BREAK SPACE}"
HOW_TO_UPDATE = (
    "Run from the project root:\n"
    "    pybabel extract -F babel.cfg -o i18n/messages.pot cpo api ocpp_bridge pwa\n"
    "    pybabel update -i i18n/messages.pot -d i18n\n"
    "then translate the new and fuzzy entries in i18n/de/LC_MESSAGES/messages.po."
)

MessageKey: TypeAlias = tuple[str | tuple[str, ...], str | None]


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _key(message: Message) -> MessageKey:
    message_id = message.id if isinstance(message.id, str) else tuple(message.id)
    return message_id, message.context


def _entries(catalog: Catalog) -> dict[MessageKey, Message]:
    return {_key(message): message for message in catalog if message.id}


def _forms(text: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


def _named(keys: set[MessageKey]) -> list[str]:
    return sorted(
        repr(message_id) if context is None else f"{context}|{message_id!r}"
        for message_id, context in keys
    )


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.fixture
def de() -> Translator:
    return translator("de")


@pytest.fixture
def en() -> Translator:
    return translator("en")


# Negotiation


@pytest.mark.parametrize(
    ("accept_language", "requested", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("en-US,en;q=0.9,de;q=0.8", None, "en"),
        ("en;q=0.5,de;q=0.9", None, "de"),
        ("de-AT", None, "de"),
        ("DE-ch", None, "de"),
        ("fr-FR,fr;q=0.9,de;q=0.7,en;q=0.6", None, "de"),
        ("fr-FR,fr;q=0.9", None, DEFAULT_LANGUAGE),
        ("en, de", None, "en"),
        ("de, en", None, "de"),
        ("de;q=0.8, en-GB;q=0.8", None, "de"),
        ("*", None, DEFAULT_LANGUAGE),
        ("fr, *;q=0.5", None, DEFAULT_LANGUAGE),
        ("en;q=0, *", None, "de"),
        ("de;q=0", None, DEFAULT_LANGUAGE),
        ("de-DE;q=0, *", None, "en"),
        ("de;q=0.0001, en;q=0.1", None, "en"),
        ("de;q=2, en;q=0.5", None, "en"),
        ("de;Q=0.9;foo=bar, en;q=0.5", None, "de"),
        ("  de ; q = 0.9 ,en;q=0.5", None, "de"),
        ("", None, DEFAULT_LANGUAGE),
        (None, None, DEFAULT_LANGUAGE),
        (";;;,,,q=1,=,de;q=abc", None, DEFAULT_LANGUAGE),
        ("\x00\xff☃, 12-34, de-", None, DEFAULT_LANGUAGE),
        ("x" * 10_000 + ",de", None, "de"),
        ("de-DE,de;q=0.9", "en", "en"),
        ("en", "de_DE", "de"),
        ("en", "DE-at", "de"),
        ("de", "fr", "de"),
        ("de", "", "de"),
        ("de", "*", "de"),
        (None, "klingon!", DEFAULT_LANGUAGE),
    ],
)
def test_negotiate_picks_the_best_supported_language(
    accept_language: str | None, requested: str | None, expected: str
) -> None:
    assert negotiate(accept_language, requested) == expected


def test_the_default_language_is_supported() -> None:
    assert DEFAULT_LANGUAGE in SUPPORTED_LANGUAGES


# Texts


def test_german_texts_come_from_the_catalog(de: Translator) -> None:
    assert de.gettext(messages.RECEIPT) == "Beleg"
    assert de.gettext(messages.BLOCKING_FEE) == "Blockiergebühr"
    vat = de.gettext(messages.VAT_INCLUDED).format(vat=de.percent(1900))
    assert vat == f"Alle Preise inkl. 19{NBSP}% MwSt."


def test_english_texts_are_the_message_ids(en: Translator) -> None:
    assert en.gettext(messages.RECEIPT) == "Receipt"
    vat = en.gettext(messages.VAT_INCLUDED).format(vat=en.percent(1900))
    assert vat == "All prices include 19% VAT."


def test_unknown_texts_fall_back_to_the_message_id(de: Translator) -> None:
    assert de.gettext("Not in any catalog") == "Not in any catalog"


def test_a_restriction_reads_naturally_in_both_languages(de: Translator, en: Translator) -> None:
    def on_days(t: Translator) -> str:
        days = t.and_list([t.gettext(day) for day in messages.DAY_NAMES[:2]])
        return t.gettext(messages.ON_DAYS).format(days=days)

    assert on_days(de) == "jeden Montag und Dienstag"
    assert on_days(en) == "on Monday and Tuesday"
    between = messages.BETWEEN_TIMES
    start, end = dt.time(8), dt.time(20)
    assert de.gettext(between).format(start=de.time(start), end=de.time(end)) == (
        "von 08:00 bis 20:00 Uhr"
    )
    assert en.gettext(between).format(start=en.time(start), end=en.time(end)) == (
        "between 08:00 and 20:00"
    )


def test_plurals_follow_the_catalogs_plural_rule() -> None:
    catalog = Catalog(locale="de")
    catalog.add(
        ("{count} charging session", "{count} charging sessions"),
        ("{count} Ladevorgang", "{count} Ladevorgänge"),
    )
    german = Translator("de", compile_catalog(catalog))
    singular, plural = "{count} charging session", "{count} charging sessions"
    assert german.ngettext(singular, plural, 1) == "{count} Ladevorgang"
    assert german.ngettext(singular, plural, 0) == "{count} Ladevorgänge"
    assert german.ngettext(singular, plural, 2) == "{count} Ladevorgänge"
    assert translator("en").ngettext(singular, plural, 1) == singular
    assert translator("en").ngettext(singular, plural, 3) == plural


def test_translators_are_built_once_and_only_for_supported_languages() -> None:
    assert translator("de") is translator("de")
    assert translator("de").language == "de"
    with pytest.raises(ValueError, match="negotiate"):
        translator("fr")


# Money and numbers


@pytest.mark.parametrize(
    ("language", "amount_minor", "currency", "expected"),
    [
        ("de", 1234, "EUR", f"12,34{NBSP}€"),
        ("en", 1234, "EUR", "€12.34"),
        ("de", 5, "EUR", f"0,05{NBSP}€"),
        ("en", 0, "EUR", "€0.00"),
        ("de", 123456789, "EUR", f"1.234.567,89{NBSP}€"),
        ("en", 123456789, "EUR", "€1,234,567.89"),
        ("de", -1230, "EUR", f"-12,30{NBSP}€"),
        ("en", -1230, "EUR", "-€12.30"),
        ("de", 1234, "JPY", f"1.234{NBSP}¥"),
        ("en", 1234, "JPY", "JP¥1,234"),
        ("de", 12345, "BHD", f"12,345{NBSP}BHD"),
        ("en", 12345, "BHD", f"BHD{NBSP}12.345"),
        ("de", 1230, "CHF", f"12,30{NBSP}CHF"),
        ("en", 1230, "CHF", f"CHF{NBSP}12.30"),
        ("en", 1230, "GBP", "£12.30"),
    ],
)
def test_money_from_minor_units(
    language: str, amount_minor: int, currency: str, expected: str
) -> None:
    assert translator(language).money(amount_minor, currency) == expected


@pytest.mark.parametrize("currency", ["eur", "EURO", "", "€"])
def test_money_needs_an_iso_currency_code(de: Translator, currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        de.money(100, currency)


@pytest.mark.parametrize(
    ("language", "micro", "currency", "unit", "expected"),
    [
        ("de", 390_000, "EUR", "kWh", f"0,39{NBSP}€/kWh"),
        ("en", 390_000, "EUR", "kWh", "€0.39/kWh"),
        ("de", 400_000, "EUR", "kWh", f"0,40{NBSP}€/kWh"),
        ("de", 394_900, "EUR", "kWh", f"0,3949{NBSP}€/kWh"),
        ("en", 394_900, "EUR", "kWh", "€0.3949/kWh"),
        ("de", 395_000, "EUR", "kWh", f"0,395{NBSP}€/kWh"),
        ("de", 394_950, "EUR", "kWh", f"0,395{NBSP}€/kWh"),
        ("de", 394_949, "EUR", "kWh", f"0,3949{NBSP}€/kWh"),
        ("de", 100_000, "EUR", "min", f"0,10{NBSP}€/min"),
        ("en", 12_000_000, "EUR", "h", "€12.00/h"),
        ("de", 39_000_000, "JPY", "kWh", f"39{NBSP}¥/kWh"),
        ("de", 39_500_000, "JPY", "kWh", f"39,5{NBSP}¥/kWh"),
        ("en", 120_000, "BHD", "kWh", f"BHD{NBSP}0.120/kWh"),
        ("en", 120_500, "BHD", "kWh", f"BHD{NBSP}0.1205/kWh"),
    ],
)
def test_unit_prices_show_two_to_four_decimals(
    language: str, micro: int, currency: str, unit: str, expected: str
) -> None:
    assert translator(language).unit_price(micro, currency, unit) == expected


@pytest.mark.parametrize(
    ("language", "wh", "expected"),
    [
        ("de", 12_345, f"12,345{NBSP}kWh"),
        ("en", 12_345, f"12.345{NBSP}kWh"),
        ("de", 0, f"0,000{NBSP}kWh"),
        ("de", 7, f"0,007{NBSP}kWh"),
        ("de", 1_234_567, f"1.234,567{NBSP}kWh"),
        ("en", 1_234_567, f"1,234.567{NBSP}kWh"),
    ],
)
def test_energy_in_kwh_to_the_watt_hour(language: str, wh: int, expected: str) -> None:
    assert translator(language).energy_kwh(wh) == expected


@pytest.mark.parametrize(
    ("language", "number", "digits", "expected"),
    [
        ("de", Decimal("1234.5"), 2, "1.234,50"),
        ("en", Decimal("1234.5"), 2, "1,234.50"),
        ("de", 22, 1, "22,0"),
        ("en", 0.125, 2, "0.13"),
        ("de", 2.675, 2, "2,68"),
        ("en", Decimal("149.5"), 0, "150"),
    ],
)
def test_decimals_round_half_up(
    language: str, number: Decimal | int | float, digits: int, expected: str
) -> None:
    assert translator(language).decimal(number, digits) == expected


@pytest.mark.parametrize(
    ("language", "basis_points", "expected"),
    [
        ("de", 1900, f"19{NBSP}%"),
        ("en", 1900, "19%"),
        ("de", 700, f"7{NBSP}%"),
        ("de", 725, f"7,25{NBSP}%"),
        ("en", 810, "8.1%"),
        ("en", 0, "0%"),
    ],
)
def test_percent_from_basis_points(language: str, basis_points: int, expected: str) -> None:
    assert translator(language).percent(basis_points) == expected


# Dates, times and durations


@pytest.mark.parametrize(
    ("moment", "german", "english"),
    [
        # Winter: Berlin is UTC+1.
        (dt.datetime(2026, 1, 15, 12, 30, tzinfo=dt.UTC), "15.01.2026, 13:30", "15/01/2026, 13:30"),
        # Summer: UTC+2.
        (dt.datetime(2026, 7, 15, 12, 30, tzinfo=dt.UTC), "15.07.2026, 14:30", "15/07/2026, 14:30"),
        # The spring switch: 02:00 CET jumps to 03:00 CEST.
        (dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC), "29.03.2026, 01:59", "29/03/2026, 01:59"),
        (dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), "29.03.2026, 03:00", "29/03/2026, 03:00"),
        # The autumn switch: 02:30 happens twice.
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC), "25.10.2026, 02:30", "25/10/2026, 02:30"),
        (dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), "25.10.2026, 02:30", "25/10/2026, 02:30"),
        # Late UTC evening is already the next day in Berlin.
        (dt.datetime(2026, 11, 24, 23, 5, tzinfo=dt.UTC), "25.11.2026, 00:05", "25/11/2026, 00:05"),
    ],
)
def test_datetimes_in_berlin_across_daylight_saving(
    de: Translator, en: Translator, moment: dt.datetime, german: str, english: str
) -> None:
    assert de.datetime(moment, "Europe/Berlin") == german
    assert en.datetime(moment, "Europe/Berlin") == english


def test_a_moment_in_other_time_zones(de: Translator, en: Translator) -> None:
    moment = dt.datetime(2026, 11, 25, 13, 5, tzinfo=dt.UTC)
    assert en.datetime(moment, "Europe/London") == "25/11/2026, 13:05"
    assert de.datetime(moment, "Europe/Helsinki") == "25.11.2026, 15:05"
    offset = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert de.datetime(offset, "Europe/Berlin") == "25.11.2026, 14:05"


def test_dates_and_times_on_their_own(de: Translator, en: Translator) -> None:
    moment = dt.datetime(2026, 11, 24, 23, 5, tzinfo=dt.UTC)
    assert de.date(moment, "Europe/Berlin") == "25.11.2026"
    assert en.date(moment, "Europe/London") == "24/11/2026"
    assert de.time(moment, "Europe/Berlin") == "00:05"
    assert en.time(dt.datetime(2026, 7, 1, 19, 45, tzinfo=dt.UTC), "Europe/Berlin") == "21:45"
    assert de.date(dt.date(2026, 3, 5)) == "05.03.2026"
    assert en.date(dt.date(2026, 3, 5)) == "05/03/2026"
    assert de.time(dt.time(8, 0)) == "08:00"
    assert en.time(dt.time(20, 0)) == "20:00"


def test_datetimes_need_a_time_zone_and_an_offset(de: Translator) -> None:
    with pytest.raises(ValueError, match="naive"):
        de.datetime(dt.datetime(2026, 1, 1, 12, 0), "Europe/Berlin")
    with pytest.raises(ValueError, match="time_zone"):
        de.date(dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, f"0{NBSP}s"),
        (45, f"45{NBSP}s"),
        (60, f"1{NBSP}min"),
        (119, f"1{NBSP}min"),
        (59 * 60 + 59, f"59{NBSP}min"),
        (3600, f"1{NBSP}h 00{NBSP}min"),
        (3900, f"1{NBSP}h 05{NBSP}min"),
        (26 * 3600 + 3 * 60 + 4, f"26{NBSP}h 03{NBSP}min"),
    ],
)
def test_durations_read_the_same_in_both_languages(
    de: Translator, en: Translator, seconds: int, expected: str
) -> None:
    assert de.duration(seconds) == expected
    assert en.duration(seconds) == expected


def test_a_duration_cannot_be_negative(de: Translator) -> None:
    with pytest.raises(ValueError, match="negative"):
        de.duration(-1)


# Catalogs


def test_the_template_is_up_to_date_with_the_source(tmp_path: Path) -> None:
    extracted_path = tmp_path / "messages.pot"
    result = subprocess.run(  # noqa: S603 (Babel's own command from our virtualenv)
        [
            str(BIN / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(extracted_path),
            "cpo",
            "api",
            "ocpp_bridge",
            "pwa",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = set(_entries(_read(extracted_path)))
    template = set(_entries(_read(TEMPLATE)))
    assert extracted == template, (
        f"i18n/messages.pot is out of date.\n"
        f"New in the source: {_named(extracted - template)}\n"
        f"Gone from the source: {_named(template - extracted)}\n{HOW_TO_UPDATE}"
    )


def test_every_language_has_every_message_of_the_template() -> None:
    template = _entries(_read(TEMPLATE))
    for language in SUPPORTED_LANGUAGES:
        catalog = _entries(_read(catalog_path(language)))
        missing = _named(set(template) - set(catalog))
        assert not missing, f"{language} lacks {missing}.\n{HOW_TO_UPDATE}"
        fuzzy = _named({key for key, message in catalog.items() if message.fuzzy})
        assert not fuzzy, f"{language} has fuzzy entries to check: {fuzzy}.\n{HOW_TO_UPDATE}"


def test_german_is_translated_completely() -> None:
    catalog = _read(catalog_path("de"))

    def translated(message: Message) -> bool:
        forms = _forms(message.string)
        count = catalog.num_plurals if message.pluralizable else 1
        return len(forms) == count and all(form.strip() for form in forms)

    untranslated = _named(
        {key for key, message in _entries(catalog).items() if not translated(message)}
    )
    assert not untranslated, f"Translate into German: {untranslated}.\n{HOW_TO_UPDATE}"


def test_english_may_leave_texts_to_the_message_id() -> None:
    # Complete for English means every template id is present and not fuzzy (tested above);
    # an empty msgstr shows the id, which is the English text already.
    catalog = _read(catalog_path("en"))
    assert catalog.locale is not None
    assert str(catalog.locale) == "en"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_every_placeholder(language: str) -> None:
    for message in _entries(_read(catalog_path(language))).values():
        expected: set[str] = set().union(*map(_placeholders, _forms(message.id)))
        for form in _forms(message.string):
            if not form:
                continue
            try:
                found = _placeholders(form)
            except ValueError as error:
                pytest.fail(f"{language}: {form!r} is not a valid format string ({error})")
            assert found == expected, f"{language}: {message.id!r} → {form!r}"


def test_every_message_constant_is_in_the_template() -> None:
    template = {key[0] for key in _entries(_read(TEMPLATE))}
    constants = {
        name: value
        for name, value in vars(messages).items()
        if name.isupper() and isinstance(value, str)
    }
    assert constants
    assert not {name for name, value in constants.items() if value not in template}
    assert all(day in template for day in messages.DAY_NAMES)


def test_the_package_ships_every_catalog() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cpo"]
    shipped = {path.resolve() for pattern in patterns for path in (ROOT / "cpo").glob(pattern)}
    for language in SUPPORTED_LANGUAGES:
        assert catalog_path(language).resolve() in shipped, language
    assert CATALOG_DIR == ROOT / "i18n"
