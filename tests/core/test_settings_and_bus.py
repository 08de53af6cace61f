from __future__ import annotations

import asyncio

import pytest

from cpo.bus import InProcessBus, NoResponder
from cpo.database import DatabaseUrlError, create_engine, describe, sqlite_path
from cpo.settings import AutoRegistration, LogFormat, SettingsError, settings_from_env
from cpo.stations import passwords


def test_settings_come_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "DATABASE_URL": "postgresql://cpo@db/cpo",
            "CPO_PORT": "9000",
            "CPO_AUTO_REGISTRATION": "off",
            "CPO_LOG_FORMAT": "json",
            "CPO_OCPP_CALL_TIMEOUT_S": "12.5",
            "CPO_PUBLIC_URL": "https://charge.example.org/",
            "UNRELATED": "x",
        }
    )
    assert settings.database_url == "postgresql://cpo@db/cpo"
    assert settings.port == 9000
    assert settings.auto_registration is AutoRegistration.OFF
    assert settings.log_format is LogFormat.JSON
    assert settings.ocpp_call_timeout_s == 12.5
    assert settings.ocpp_url == "wss://charge.example.org/ocpp"


def test_defaults_are_the_demo() -> None:
    settings = settings_from_env({})
    assert settings.database_url == "sqlite:///cpo.sqlite3"
    assert settings.base_url == "http://localhost:8000"
    assert settings.ocpp_url == "ws://localhost:8000/ocpp"
    assert settings.auto_registration is AutoRegistration.ACCEPTED


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CPO_PORT", "eighty"), ("CPO_PORT", "70000"), ("CPO_AUTO_REGISTRATION", "sometimes")],
)
def test_bad_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings_from_env({variable: value})


def test_database_urls() -> None:
    assert sqlite_path("sqlite:///cpo.sqlite3") == "cpo.sqlite3"
    assert sqlite_path("sqlite:////var/lib/cpo/cpo.sqlite3") == "/var/lib/cpo/cpo.sqlite3"
    assert sqlite_path("postgresql://x/y") is None
    assert describe("postgresql://cpo:secret@db:5432/cpo") == "postgresql://cpo:***@db:5432/cpo"
    with pytest.raises(DatabaseUrlError, match="unsupported"):
        create_engine("mysql://db/cpo")


def test_passwords_are_hashed_and_verified() -> None:
    password = passwords.generate_password()
    stored = passwords.hash_password(password)
    assert password not in stored
    assert passwords.verify_password(password, stored)
    assert not passwords.verify_password(password + "x", stored)
    assert not passwords.verify_password(password, "garbage")
    with pytest.raises(passwords.WeakPassword):
        passwords.check_strength("short")


async def test_bus_publish_subscribe_with_wildcards() -> None:
    bus = InProcessBus()
    exact = await bus.subscribe("session.7.updated")
    everything = await bus.subscribe("session.*")
    assert await bus.publish("session.7.updated", b"one") == 2
    assert await bus.publish("session.8.updated", b"two") == 1
    await exact.close()
    assert await bus.publish("session.7.updated", b"three") == 1
    received = []
    async with asyncio.timeout(1):
        async for message in everything:
            received.append(message)
            if len(received) == 3:
                break
    assert received == [b"one", b"two", b"three"]


async def test_bus_request_reply() -> None:
    bus = InProcessBus()

    async def echo(message: bytes) -> bytes:
        return message.upper()

    with pytest.raises(NoResponder):
        await bus.request("station.X.command", b"hi", 1)
    old = await bus.serve("station.X.command", echo)

    async def newer(message: bytes) -> bytes:
        return b"newer"

    await bus.serve("station.X.command", newer)
    await old.close()  # closing a replaced responder leaves the newer one in place
    assert await bus.request("station.X.command", b"hi", 1) == b"newer"

    async def slow(message: bytes) -> bytes:
        await asyncio.sleep(10)
        return b""

    await bus.serve("station.Y.command", slow)
    with pytest.raises(TimeoutError):
        await bus.request("station.Y.command", b"hi", 0.05)


async def test_closing_a_full_subscription_still_ends_its_reader() -> None:
    bus = InProcessBus()
    subscription = await bus.subscribe("station.X.status")
    for number in range(1500):
        await bus.publish("station.X.status", str(number).encode())
    await subscription.close()
    received = 0
    async with asyncio.timeout(1):
        async for _ in subscription:
            received += 1
    assert received == 999  # the oldest were dropped, the end marker got in
