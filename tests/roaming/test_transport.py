"""Transport and format, without a network: the Authorization header forms, pagination
headers, and our units at the edge."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roaming import edge
from roaming.transport import (
    MAX_PAGE_LIMIT,
    OcpiError,
    page_headers,
    page_request,
    presented_tokens,
)


def test_both_header_forms_name_the_token() -> None:
    token = "abc-DEF_123"
    encoded = base64.b64encode(token.encode()).decode()
    assert presented_tokens(f"Token {encoded}")[0] == token
    assert presented_tokens(f"Token {token}") == [token]
    assert presented_tokens(f"token   {encoded}")[0] == token
    for header in (None, "", "Token", "Token ", "Bearer abc", "Basic abc", "Token " + "x" * 600):
        assert presented_tokens(header) == []


@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64)
)
def test_any_token_survives_the_base64_form(token: str) -> None:
    encoded = base64.b64encode(token.encode()).decode()
    assert token in presented_tokens(f"Token {encoded}")


def test_pages_link_to_the_next_one_until_the_last() -> None:
    page = page_request({"offset": "0", "limit": "2"})
    headers = page_headers("https://cpo.example/ocpi/2.2.1/locations", page, 5)
    assert headers["X-Total-Count"] == "5"
    assert headers["X-Limit"] == "2"
    assert headers["Link"] == (
        '<https://cpo.example/ocpi/2.2.1/locations?offset=2&limit=2>; rel="next"'
    )
    last = page_headers("https://x/locations", page_request({"offset": "4", "limit": "2"}), 5)
    assert "Link" not in last


def test_date_filters_are_kept_in_the_next_link() -> None:
    page = page_request(
        {"limit": "1", "date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:00"}
    )
    assert page.date_from == datetime(2026, 1, 1, tzinfo=UTC)
    # Without an offset, OCPI means UTC.
    assert page.date_to == datetime(2026, 2, 1, tzinfo=UTC)
    link = page_headers("https://x/cdrs", page, 3)["Link"]
    assert "date_from=2026-01-01T00%3A00%3A00Z" in link
    assert "date_to=2026-02-01T00%3A00%3A00Z" in link


def test_limits_are_capped_and_nonsense_refused() -> None:
    assert page_request({"limit": "100000"}).limit == MAX_PAGE_LIMIT
    assert page_request({}).offset == 0
    for bad in ({"offset": "-1"}, {"limit": "1e3"}, {"offset": "9" * 20}, {"date_from": "now"}):
        with pytest.raises(OcpiError) as refused:
            page_request(bad)
        assert (refused.value.status, refused.value.http_status) == (2001, 400)


def test_money_and_units_at_the_edge() -> None:
    assert edge.price(1029, 1225, "EUR").excl_vat == 10.29
    assert edge.price(1029, 1225, "EUR").incl_vat == 12.25
    assert edge.major(500, "JPY") == 500.0
    assert edge.kwh(12_345) == 12.345
    assert edge.hours(5400) == 1.5
    # 0.49 €/kWh with 19 % VAT is 0.411765 € without.
    assert edge.unit_price(490_000, per_minute=False, vat_rate_bp=1900, includes_vat=True) == (
        0.411765
    )
    # 0.10 €/min is 6 €/h.
    assert edge.unit_price(100_000, per_minute=True, vat_rate_bp=0, includes_vat=False) == 6.0
