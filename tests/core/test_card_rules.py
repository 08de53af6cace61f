"""Pure rules of card administration: reading and checking an import file, what it would
change, and how a changed card is pushed to a station (method, list version, backoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cpo.spreadsheets import defused, undefused
from cpo.tokens import card_csv, rules
from cpo.tokens.card_csv import CardFields, ExistingCard, RowOutcome
from cpo.tokens.enums import AuthorizationStatus, PushMethod, TokenStatus

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def report(
    text: str, existing: dict[str, ExistingCard] | None = None, customers: set[int] | None = None
) -> card_csv.ImportReport:
    return card_csv.compare(card_csv.parse(text), existing or {}, customers or set())


def test_a_file_is_read_with_commas_or_semicolons_and_a_bom() -> None:
    for text in (
        "uid,label\n04aa, Card A \n",
        "\ufeffUID;Label\r\n04AA;Card A\r\n",
    ):
        parsed = card_csv.parse(text)
        assert parsed.problems == ()
        assert [(row.uid, row.values) for row in parsed.rows] == [("04AA", {"label": "Card A"})]


def test_file_problems_stop_everything() -> None:
    assert card_csv.parse("").problems == ("empty_file",)
    assert card_csv.parse("label,customer_id\nx,1\n").problems == ("uid_column_missing",)
    many = "uid\n" + "".join(f"04{n:08}\n" for n in range(card_csv.MAX_IMPORT_ROWS + 1))
    assert card_csv.parse(many).problems == ("too_many_rows",)
    assert not report("").applicable


def test_each_invalid_cell_has_its_reason() -> None:
    text = (
        "uid,label,expires_at,group_id,customer_group,customer_id\n"
        f"{'A' * 37},ok,,,,\n"
        f"04A,{'x' * 201},,,,\n"
        "04B,ok,tomorrow,,,\n"
        f"04C,ok,,{'G' * 37},,\n"
        f"04D,ok,,,{'g' * 65},\n"
        "04E,ok,,,,abc\n"
        "04F,ok,,,,7\n"
        "04A,again,,,,\n"
        ",no uid,,,,\n"
    )
    result = report(text, customers={1})
    assert [row.reasons for row in result.rows] == [
        ("uid_too_long",),
        ("label_too_long",),
        ("expires_at_invalid",),
        ("group_id_too_long",),
        ("customer_group_too_long",),
        ("customer_id_invalid",),
        ("customer_unknown",),
        ("duplicate_uid",),
        ("uid_missing",),
    ]
    assert result.invalid == 9
    assert not result.applicable


def test_the_dry_run_tells_new_changed_and_unchanged_apart() -> None:
    existing = {
        "04AA": ExistingCard(fields=CardFields(label="Old", customer_id=3)),
        "04BB": ExistingCard(fields=CardFields(label="Same")),
        "04RR": ExistingCard(fields=CardFields(label="Roaming"), importable=False),
    }
    text = "uid,label,expires_at,customer_id\n04AA,New,2027-01-31,\n04BB,Same,,\n04CC,Fresh,,3\n04RR,x,,\n"
    result = report(text, existing, customers={3})
    changed, unchanged, new, roaming = result.rows
    assert changed.outcome is RowOutcome.CHANGED
    assert changed.changes == {
        "label": card_csv.Change("Old", "New"),
        "expires_at": card_csv.Change(None, datetime(2027, 1, 31, tzinfo=UTC)),
        "customer_id": card_csv.Change(3, None),  # an empty cell clears
    }
    assert unchanged.outcome is RowOutcome.UNCHANGED
    assert unchanged.changes == {}
    assert new.outcome is RowOutcome.NEW
    assert card_csv.fields_after(new, None) == CardFields(label="Fresh", customer_id=3)
    assert roaming.reasons == ("not_a_card",)
    assert (result.new, result.changed, result.unchanged, result.invalid) == (1, 1, 1, 1)


def test_a_missing_column_keeps_the_field() -> None:
    existing = {"04AA": ExistingCard(fields=CardFields(label="Kept", customer_group="staff"))}
    (row,) = report("uid,customer_group\n04AA,staff\n", existing).rows
    assert row.outcome is RowOutcome.UNCHANGED
    (row,) = report("uid\n04AA\n", existing).rows
    assert row.outcome is RowOutcome.UNCHANGED


def test_expiry_cells() -> None:
    assert card_csv.parse_moment("") is None
    assert card_csv.parse_moment("2027-03-01") == datetime(2027, 3, 1, tzinfo=UTC)
    assert card_csv.parse_moment("2027-03-01T10:00:00+01:00") == datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert card_csv.parse_moment("2027-03-01T10:00:00") == datetime(2027, 3, 1, 10, tzinfo=UTC)
    assert card_csv.parse_moment("2027-03-01T10:00:00Z") == datetime(2027, 3, 1, 10, tzinfo=UTC)
    assert card_csv.parse_moment("01.03.2027") is card_csv.INVALID
    assert card_csv.parse_moment("2027-02-30") is card_csv.INVALID


@given(st.text(max_size=30))
def test_defusing_is_undone_on_import(text: str) -> None:
    assert undefused(defused(text)) == text


def test_an_export_row_defuses_formulas() -> None:
    row = card_csv.export_row(
        {
            "uid": "04AA",
            "label": "=cmd()",
            "status": "active",
            "expires_at": None,
            "group_id": None,
            "customer_group": "+staff",
            "customer_id": 3,
            "customer_name": "@home",
            "holder_name": None,
            "type": "RFID",
            "blocked_at": None,
            "created_at": NOW,
            "cost_centre": "-KST 100",
            "blocked_by": None,
        }
    )
    assert row[1] == "'=cmd()"
    assert row[5] == "'+staff"
    assert row[6] == "3"
    assert row[7] == "'@home"
    assert row[11] == "2026-11-25T12:00:00+00:00"
    assert row[12] == "'-KST 100"
    assert row[13] == ""
    assert len(row) == len(card_csv.EXPORT_COLUMNS)


def test_the_push_method_follows_the_station_configuration() -> None:
    full = {
        "SupportedFeatureProfiles": "Core,LocalAuthListManagement,RemoteTrigger",
        "LocalAuthListEnabled": "true",
        "AuthorizationCacheEnabled": "true",
    }
    assert rules.push_method(full) is PushMethod.SEND_LOCAL_LIST
    assert rules.push_method({**full, "LocalAuthListEnabled": "false"}) is PushMethod.CLEAR_CACHE
    assert rules.push_method({"SupportedFeatureProfiles": "Core"}) is PushMethod.CLEAR_CACHE
    assert (
        rules.push_method(
            {"SupportedFeatureProfiles": "Core", "AuthorizationCacheEnabled": "FALSE"}
        )
        is None
    )
    # A station that would not say: ClearCache is Core, every station has it.
    assert rules.push_method(None) is PushMethod.CLEAR_CACHE


def test_list_versions_go_above_ours_and_the_stations() -> None:
    assert rules.next_list_version(0) == 1
    assert rules.next_list_version(4) == 5
    assert rules.next_list_version(4, 9) == 10
    assert rules.next_list_version(4, 2) == 5
    assert rules.next_list_version(4, None) == 5


def test_retries_back_off_up_to_a_limit() -> None:
    delays = [rules.push_retry_delay(attempt) for attempt in range(1, 12)]
    assert delays[0] == timedelta(seconds=5)
    assert delays[1] == timedelta(seconds=10)
    assert delays == sorted(delays)
    assert delays[-1] == rules.PUSH_RETRY_MAX
    assert rules.push_retry_delay(10_000) == rules.PUSH_RETRY_MAX


def test_local_list_entries() -> None:
    active = rules.TokenFacts(TokenStatus.ACTIVE, None)
    blocked = rules.TokenFacts(TokenStatus.BLOCKED, None)
    expired = rules.TokenFacts(TokenStatus.ACTIVE, NOW - timedelta(seconds=1))
    assert rules.local_list_status(active, None, now=NOW) is AuthorizationStatus.ACCEPTED
    assert rules.local_list_status(blocked, None, now=NOW) is AuthorizationStatus.BLOCKED
    assert rules.local_list_status(active, blocked, now=NOW) is AuthorizationStatus.BLOCKED
    assert rules.local_list_status(expired, None, now=NOW) is AuthorizationStatus.EXPIRED
    assert rules.fits_local_list("A" * 20)
    assert not rules.fits_local_list("A" * 21)
    assert not rules.fits_local_list("")
