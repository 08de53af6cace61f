"""Languages, translated texts and locale-aware formats for everything a driver reads.

Every user-facing text is English source text marked for Babel: ``_("Text")`` at the call
site (with ``_ = translator(language).gettext``), ``translator.ngettext(...)`` for plurals,
or ``N_("Text")`` for module-level constants such as the ones in ``cpo.messages``, which are
translated later with ``translator.gettext(CONSTANT)``. Placeholders are ``str.format``
names (``{amount}``); fill them after translating.

The catalogs live in ``i18n/`` at the project root (``i18n/messages.pot`` and
``i18n/<language>/LC_MESSAGES/messages.po``); they are compiled in memory on first use, so
there is no build step and no ``.mo`` file in the repository. After adding or changing a
text, run from the project root::

    pybabel extract -F babel.cfg -o i18n/messages.pot cpo api ocpp_bridge pwa
    pybabel update -i i18n/messages.pot -d i18n

then translate the new and fuzzy entries in ``i18n/de/LC_MESSAGES/messages.po``
(``tests/core/test_i18n.py`` fails until the catalogs are complete).

Formats follow CLDR through Babel with European conventions (``de_DE``, ``en_GB``): dates
as 25.11.2026 / 25/11/2026, the 24-hour clock, no-break spaces (U+00A0) wherever a number
and its unit must stay together ("12,34 €", "19 %", "12,345 kWh").
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format, match_skeleton
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_currency_symbol,
)

SUPPORTED_LANGUAGES: Final = ("de", "en")
DEFAULT_LANGUAGE: Final = "en"

# Europe first: British English gives day/month/year and the 24-hour clock.
_LOCALES: Final = {"de": "de_DE", "en": "en_GB"}

# Installed, package data puts i18n/ next to cpo/ in site-packages (pyproject.toml,
# [tool.setuptools.package-data]), the same place relative to cpo/ as in the source tree.
CATALOG_DIR: Final = Path(__file__).resolve().parent.parent / "i18n"
DOMAIN: Final = "messages"

_NBSP: Final = "\N{NO-BREAK SPACE}"
_LANGUAGE_RANGE: Final = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*")
_QVALUE: Final = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")
_UNIT_PRICE_DIGITS: Final = 4


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name, a Babel default keyword)
    """Mark a text for extraction without translating it yet (for module-level constants)."""
    return message


def negotiate(accept_language: str | None, requested: str | None = None) -> str:
    """The language to answer in: an explicit supported choice, else the header, else the default.

    ``requested`` is a ``?lang=`` parameter or a saved preference ("de", "de-AT", "de_DE").
    The Accept-Language header is read as RFC 9110 describes it: q-values rank the ranges,
    region subtags fall back to their language, ``*`` stands for any language the header does
    not name, and ``de;q=0`` refuses German. Malformed entries are skipped, never raised on.
    """
    if requested is not None:
        chosen = _supported_language(requested)
        if chosen is not None:
            return chosen
    if accept_language:
        chosen = _best_accepted(accept_language)
        if chosen is not None:
            return chosen
    return DEFAULT_LANGUAGE


def _supported_language(tag: str) -> str | None:
    normalized = tag.strip().replace("_", "-").lower()
    if not _LANGUAGE_RANGE.fullmatch(normalized):
        return None
    primary = normalized.split("-", 1)[0]
    return primary if primary in SUPPORTED_LANGUAGES else None


def _language_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for item in header.split(","):
        tag, *parameters = item.split(";")
        tag = tag.strip().lower()
        if not _LANGUAGE_RANGE.fullmatch(tag):
            continue
        quality: float | None = 1.0
        for parameter in parameters:
            name, _sep, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else None
        if quality is not None:
            ranges.append((tag, quality))
    return ranges


def _best_accepted(header: str) -> str | None:
    ranges = _language_ranges(header)
    wildcard = next(
        ((quality, position) for position, (tag, quality) in enumerate(ranges) if tag == "*"),
        None,
    )
    # Ties (same quality, same range, as with "*") go to the default language.
    preference = sorted(SUPPORTED_LANGUAGES, key=lambda language: language != DEFAULT_LANGUAGE)
    candidates: list[tuple[float, int, int, str]] = []
    for rank, language in enumerate(preference):
        if (language, 0.0) in ranges:
            continue
        mentions = [
            (quality, position)
            for position, (tag, quality) in enumerate(ranges)
            if tag.split("-", 1)[0] == language
        ]
        if mentions:
            quality, position = max(mentions, key=lambda mention: (mention[0], -mention[1]))
        elif wildcard is not None:
            quality, position = wildcard
        else:
            continue
        if quality > 0:
            candidates.append((-quality, position, rank, language))
    return min(candidates)[3] if candidates else None


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    """What msgfmt would produce, in memory; fuzzy and untranslated entries fall back to the id."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalog_path(language: str) -> Path:
    return CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _translations(language: str) -> gettext.GNUTranslations:
    with catalog_path(language).open("rb") as file:
        catalog = read_po(file, locale=_LOCALES[language], domain=DOMAIN, abort_invalid=True)
    return compile_catalog(catalog)


class Translator:
    """Texts and formats in one language; get one with ``translator(language)``."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; negotiate() one first")
        self.language = language
        self.locale = Locale.parse(_LOCALES[language])
        self._translations = translations
        skeletons = self.locale.datetime_skeletons
        self._date_pattern = skeletons[match_skeleton("yMMdd", skeletons)]
        self._time_pattern = skeletons[match_skeleton("Hm", skeletons)]
        # Babel joins date and time the same way: the CLDR pattern without its quotes.
        joined = str(get_datetime_format("medium", locale=self.locale))
        self._datetime_pattern = joined.replace("'", "")

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    # Texts

    def gettext(self, message_id: str) -> str:
        return self._translations.gettext(message_id)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    # Numbers and money

    def money(self, amount_minor: int, currency: str) -> str:
        """An amount in minor units: 1234 EUR → "12,34 €" / "€12.34"; 1234 JPY → "1.234 ¥"."""
        _check_currency(currency)
        amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
        return self._currency(amount, currency)

    def unit_price(self, micro: int, currency: str, unit_label: str) -> str:
        """A price in millionths of the major unit per ``unit_label`` (a symbol such as "kWh").

        At least the currency's digits, at most four, no trailing zeros beyond the currency's:
        390000 → "0,39 €/kWh", 394900 → "0,3949 €/kWh". Finer prices are rounded half up.
        """
        _check_currency(currency)
        step = Decimal(1).scaleb(-_UNIT_PRICE_DIGITS)
        price = Decimal(micro).scaleb(-6).quantize(step, ROUND_HALF_UP)
        return f"{self._currency(price, currency, exact_digits=False)}/{unit_label}"

    def energy_kwh(self, wh: int) -> str:
        """Energy from Wh, always to the watt-hour: 12345 → "12,345 kWh" / "12.345 kWh"."""
        kwh = format_decimal(Decimal(wh).scaleb(-3), format="#,##0.000", locale=self.locale)
        return f"{kwh}{_NBSP}kWh"

    def decimal(self, number: Decimal | int | float, digits: int) -> str:
        """A number with exactly ``digits`` decimals, rounded half up, with digit grouping."""
        if digits < 0:
            raise ValueError("digits must not be negative")
        value = Decimal(str(number)) if isinstance(number, float) else Decimal(number)
        value = value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, basis_points: int) -> str:
        """1900 → "19 %" / "19%"; 725 → "7,25 %" / "7.25%"."""
        return format_percent(
            Decimal(basis_points).scaleb(-4), locale=self.locale, decimal_quantization=False
        )

    def and_list(self, items: Sequence[str]) -> str:
        """["Monday", "Friday", "Sunday"] → "Monday, Friday and Sunday" in this language."""
        return format_list(list(items), locale=self.locale)

    # Dates and times

    def datetime(self, moment: dt.datetime, time_zone: str) -> str:
        """A moment as local date and time in an IANA time zone: "25.11.2026, 14:05"."""
        local = _localize(moment, time_zone)
        date, time = self.date(local.date()), self.time(local.time())
        return self._datetime_pattern.replace("{1}", date).replace("{0}", time)

    def date(self, moment: dt.date, time_zone: str | None = None) -> str:
        """A calendar date ("25.11.2026" / "25/11/2026"); a datetime needs its time zone."""
        if isinstance(moment, dt.datetime):
            moment = _localize(moment, _required(time_zone)).date()
        return format_date(moment, self._date_pattern, locale=self.locale)

    def time(self, moment: dt.datetime | dt.time, time_zone: str | None = None) -> str:
        """A time of day on the 24-hour clock ("14:05"); a datetime needs its time zone."""
        if isinstance(moment, dt.datetime):
            moment = _localize(moment, _required(time_zone)).time()
        return format_time(moment, self._time_pattern, locale=self.locale)

    def duration(self, seconds: int) -> str:
        """Elapsed time in SI symbols, the same in German and English, whole units only.

        Under a minute "45 s"; under an hour "5 min"; then "1 h 05 min" (minutes two-digit,
        hours unbounded, no days). Seconds beyond the shown unit are dropped, like a
        stopwatch, so a running counter never shows more than has passed.
        """
        if seconds < 0:
            raise ValueError("a duration cannot be negative")
        if seconds < 60:
            return f"{seconds}{_NBSP}s"
        hours, minutes = divmod(seconds // 60, 60)
        if not hours:
            return f"{minutes}{_NBSP}min"
        return f"{hours}{_NBSP}h {minutes:02d}{_NBSP}min"

    def _currency(self, amount: Decimal, currency: str, *, exact_digits: bool = True) -> str:
        text = format_currency(
            amount, currency, locale=self.locale, decimal_quantization=exact_digits
        )
        return _space_letter_symbol(text, get_currency_symbol(currency, locale=self.locale))


def _space_letter_symbol(text: str, symbol: str) -> str:
    # CLDR's currency spacing, which Babel does not apply: a symbol that touches the digits
    # with a letter gets a no-break space ("CHF 12.30", not "CHF12.30"); "€12.30" stays.
    start = text.find(symbol)
    if start < 0:
        return text
    end = start + len(symbol)
    if symbol[-1].isalpha() and text[end : end + 1].isdigit():
        return f"{text[:end]}{_NBSP}{text[end:]}"
    if symbol[0].isalpha() and start > 0 and text[start - 1].isdigit():
        return f"{text[:start]}{_NBSP}{text[start:]}"
    return text


def _check_currency(currency: str) -> None:
    if not _CURRENCY_CODE.fullmatch(currency):
        raise ValueError(f"not an ISO 4217 currency code: {currency!r}")


def _required(time_zone: str | None) -> str:
    if time_zone is None:
        raise ValueError("a datetime is shown in a time zone; pass time_zone")
    return time_zone


def _localize(moment: dt.datetime, time_zone: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("moments are timezone-aware (UTC); got a naive datetime")
    return moment.astimezone(ZoneInfo(time_zone))


@functools.cache
def translator(language: str) -> Translator:
    """The translator for a supported language (see ``negotiate``), built once per process."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; negotiate() one first")
    return Translator(language, _translations(language))
