"""Pure rules of the operator's network view: today's window, fault durations, time zones,
the message log's frame description, and the webhook signature and retries."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import pytest

from cpo.notifications import rules as notify
from cpo.stations import rules
from cpo.stations.frame_log import describe


def test_today_is_the_local_calendar_day_in_utc() -> None:
    late_evening = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 00:30 on the 26th in Berlin
    day, start, end = rules.day_window(late_evening, "Europe/Berlin")
    assert day == date(2026, 11, 26)
    assert start == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert start <= late_evening < end


@pytest.mark.parametrize(
    ("moment", "hours"),
    [
        (datetime(2026, 3, 29, 12, tzinfo=UTC), 23),  # clocks go forward
        (datetime(2026, 10, 25, 12, tzinfo=UTC), 25),  # clocks go back
        (datetime(2026, 6, 1, 12, tzinfo=UTC), 24),
    ],
)
def test_days_around_a_dst_change_follow_local_midnight(moment: datetime, hours: int) -> None:
    _, start, end = rules.day_window(moment, "Europe/Berlin")
    assert end - start == timedelta(hours=hours)


def test_a_fault_lasts_until_resolved_or_until_now() -> None:
    opened = datetime(2026, 11, 25, 10, tzinfo=UTC)
    now = opened + timedelta(minutes=90)
    assert rules.fault_duration_s(opened, None, now) == 5400
    assert rules.fault_duration_s(opened, opened + timedelta(seconds=42), now) == 42
    # A charger clock ahead of ours never makes a negative duration.
    assert rules.fault_duration_s(now + timedelta(seconds=5), None, now) == 0


@pytest.mark.parametrize(
    ("zone", "valid"),
    [
        ("Europe/Berlin", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        ("../etc/passwd", False),
        ("/etc/localtime", False),
    ],
)
def test_time_zones_must_be_known(zone: str, valid: bool) -> None:
    assert rules.is_valid_time_zone(zone) is valid


@pytest.mark.parametrize(
    ("evse_id", "valid"),
    [
        ("DE*ABC*E0001*1", True),
        ("de*abc*e0001*1", True),
        ("DEABCE00011", True),
        ("DE*ABC*0001*1", False),  # the E is missing
        ("D*ABC*E0001", False),
        ("DE*AB*E0001", False),
        ("", False),
    ],
)
def test_evse_ids_follow_iso_15118(evse_id: str, valid: bool) -> None:
    assert rules.is_valid_evse_id(evse_id) is valid


def test_frames_are_described_for_the_log() -> None:
    assert describe('[2,"42","Heartbeat",{}]') == ("Call", "42", "Heartbeat")
    assert describe('[3,"42",{"currentTime":"x"}]') == ("CallResult", "42", "")
    assert describe('[4,"42","NotImplemented","",{}]') == ("CallError", "42", "")
    assert describe("not json") == ("?", "", "")
    assert describe('{"a": 1}') == ("?", "", "")
    assert describe("[9, 1, 2]") == ("?", "", "")


def test_the_webhook_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"event":"station.offline"}'
    header = notify.sign("whsec_x", body)
    expected = hmac.new(b"whsec_x", body, hashlib.sha256).hexdigest()
    assert header == f"sha256={expected}"
    assert notify.signature_matches("whsec_x", body, header)
    assert not notify.signature_matches("whsec_y", body, header)
    assert not notify.signature_matches("whsec_x", body + b" ", header)


def test_retries_wait_longer_each_time_and_end() -> None:
    delays = [notify.retry_delay(attempts).total_seconds() for attempts in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == notify.MAX_RETRY_S
    assert not notify.gives_up(notify.MAX_ATTEMPTS - 1)
    assert notify.gives_up(notify.MAX_ATTEMPTS)


def test_recipients_are_checked_and_deduplicated() -> None:
    assert notify.parse_recipients("a@example.org, b@example.org;\nA@example.org\n") == [
        "a@example.org",
        "b@example.org",
    ]
    with pytest.raises(ValueError, match="not an e-mail address"):
        notify.parse_recipients("a@example.org, nobody")
    with pytest.raises(ValueError, match="at most"):
        notify.parse_recipients(",".join(f"u{n}@example.org" for n in range(11)))


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://hooks.example.org/cpo", True),
        ("http://127.0.0.1:8080/x", True),
        ("ftp://example.org/x", False),
        ("https://user:secret@example.org/x", False),
        ("/relative", False),
    ],
)
def test_webhook_urls_are_absolute_http(url: str, valid: bool) -> None:
    assert notify.is_webhook_url(url) is valid
