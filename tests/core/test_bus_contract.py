"""The message bus contract, run against InProcessBus and RedisBus alike.

RedisBus tests run whenever a Redis server answers at CPO_TEST_REDIS_URL (default the local
one) and are skipped with the reason otherwise; CI sets CPO_TEST_REQUIRE_REDIS=1 so that a
missing server fails instead. Every test uses topics under a prefix of its own, so that runs
sharing one Redis do not see each other's messages.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from cpo.bus import (
    SUBSCRIPTION_BUFFER,
    InProcessBus,
    MessageBus,
    NoResponder,
    RequestHandler,
    Subscription,
)
from cpo.redis_bus import BusClosed, RedisBus, RemoteError

# How long a test waits for something that should happen at once.
WAIT_S = 2.0


def _node_id(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def prefix() -> str:
    return f"test.{uuid.uuid4().hex}"


@pytest.fixture(params=["in_process", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[MessageBus]:
    implementation: MessageBus
    if request.param == "in_process":
        implementation = InProcessBus()
    else:
        redis_bus = RedisBus(request.getfixturevalue("redis_url"), _node_id("contract"))
        await redis_bus.start()
        implementation = redis_bus
    try:
        yield implementation
    finally:
        await implementation.close()


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two RedisBus instances: two app nodes of one system."""
    async with RedisBus(redis_url, _node_id("a")) as a, RedisBus(redis_url, _node_id("b")) as b:
        yield a, b


async def take(subscription: Subscription, count: int = 1) -> list[bytes]:
    received: list[bytes] = []
    async with asyncio.timeout(WAIT_S):
        async for message in subscription:
            received.append(message)
            if len(received) == count:
                break
    return received


async def remaining(subscription: Subscription) -> list[bytes]:
    """What a loop over the subscription still gets before it ends (it must end)."""
    async with asyncio.timeout(WAIT_S):
        return [message async for message in subscription]


async def echo(body: bytes) -> bytes:
    return body.upper()


def answering(reply: bytes) -> RequestHandler:
    async def handler(body: bytes) -> bytes:
        return reply

    return handler


# The contract


async def test_publish_reaches_subscribers_of_the_topic(bus: MessageBus, prefix: str) -> None:
    status = await bus.subscribe(f"{prefix}.station.7.status")
    assert await bus.publish(f"{prefix}.station.7.status", b"one") == 1
    assert await bus.publish(f"{prefix}.station.8.status", b"other station") == 0
    assert await bus.publish(f"{prefix}.station.7.status", b"two") == 1
    assert await take(status, 2) == [b"one", b"two"]


async def test_publish_without_subscribers_reaches_nobody(bus: MessageBus, prefix: str) -> None:
    assert await bus.publish(f"{prefix}.session.1.updated", b"lost") == 0


async def test_wildcard_subscriptions_get_every_sub_topic(bus: MessageBus, prefix: str) -> None:
    stations = await bus.subscribe(f"{prefix}.station.*")
    assert await bus.publish(f"{prefix}.station.7.status", b"a") == 1
    assert await bus.publish(f"{prefix}.station.8.connected", b"b") == 1
    assert await bus.publish(f"{prefix}.stationery.1", b"not a station") == 0
    assert await bus.publish(f"{prefix}.station", b"no sub-topic") == 0
    assert await bus.publish(f"{prefix}.session.1.updated", b"c") == 0
    assert await take(stations, 2) == [b"a", b"b"]


async def test_exact_and_wildcard_subscribers_each_get_a_message_once(
    bus: MessageBus, prefix: str
) -> None:
    exact = await bus.subscribe(f"{prefix}.session.7.updated")
    everything = await bus.subscribe(f"{prefix}.session.*")
    assert await bus.publish(f"{prefix}.session.7.updated", b"one") == 2
    assert await bus.publish(f"{prefix}.session.8.updated", b"two") == 1
    await exact.close()
    assert await bus.publish(f"{prefix}.session.7.updated", b"three") == 1
    assert await take(everything, 3) == [b"one", b"two", b"three"]
    assert await remaining(exact) == [b"one"]


async def test_glob_characters_in_topics_are_plain_characters(bus: MessageBus, prefix: str) -> None:
    odd = await bus.subscribe(f"{prefix}.st[1]*?\\.*")
    assert await bus.publish(f"{prefix}.st1xy\\.status", b"glob match only") == 0
    assert await bus.publish(f"{prefix}.st[1]*?\\.status", b"literal") == 1
    assert await take(odd) == [b"literal"]


async def test_several_local_subscribers_of_one_topic(bus: MessageBus, prefix: str) -> None:
    topic = f"{prefix}.station.7.status"
    first = await bus.subscribe(topic)
    second = await bus.subscribe(topic)
    receivers = await bus.publish(topic, b"both")
    # InProcessBus counts subscribers, RedisBus counts nodes (one connection each).
    assert receivers == (1 if isinstance(bus, RedisBus) else 2)
    assert await take(first) == [b"both"]
    assert await take(second) == [b"both"]
    await first.close()
    assert await bus.publish(topic, b"second only") == 1
    assert await take(second) == [b"second only"]
    assert await remaining(first) == []


async def test_a_watcher_that_stops_reading_loses_the_oldest_messages(
    bus: MessageBus, prefix: str
) -> None:
    idle = await bus.subscribe(f"{prefix}.session.1.updated")
    marker = await bus.subscribe(f"{prefix}.marker")
    messages = [str(n).encode() for n in range(SUBSCRIPTION_BUFFER + 5)]
    for message in messages:
        assert await bus.publish(f"{prefix}.session.1.updated", message) == 1
    # Delivered in the order published: once the marker arrived, everything else had.
    assert await bus.publish(f"{prefix}.marker", b"done") == 1
    assert await take(marker) == [b"done"]
    assert await take(idle, SUBSCRIPTION_BUFFER) == messages[5:]


async def test_unsubscribed_topics_reach_nobody(bus: MessageBus, prefix: str) -> None:
    exact = await bus.subscribe(f"{prefix}.session.1.updated")
    wildcard = await bus.subscribe(f"{prefix}.station.*")
    assert await bus.publish(f"{prefix}.session.1.updated", b"before") == 1
    assert await take(exact) == [b"before"]
    await exact.close()
    await wildcard.close()
    await exact.close()  # closing twice is harmless
    assert await bus.publish(f"{prefix}.session.1.updated", b"after") == 0
    assert await bus.publish(f"{prefix}.station.1.status", b"after") == 0
    assert await remaining(exact) == []
    assert await remaining(wildcard) == []
    # The topic can be subscribed again.
    again = await bus.subscribe(f"{prefix}.session.1.updated")
    assert await bus.publish(f"{prefix}.session.1.updated", b"again") == 1
    assert await take(again) == [b"again"]


async def test_closing_the_bus_ends_subscriptions(bus: MessageBus, prefix: str) -> None:
    exact = await bus.subscribe(f"{prefix}.station.7.connected")
    wildcard = await bus.subscribe(f"{prefix}.station.*")

    async def watch(subscription: Subscription) -> list[bytes]:
        return [message async for message in subscription]

    watchers = [asyncio.create_task(watch(exact)), asyncio.create_task(watch(wildcard))]
    # Once these got the message, so did the watched subscriptions (same delivery).
    markers = [
        await bus.subscribe(f"{prefix}.station.7.connected"),
        await bus.subscribe(f"{prefix}.station.*"),
    ]
    assert await bus.publish(f"{prefix}.station.7.connected", b"last") > 0
    for marker in markers:
        assert await take(marker) == [b"last"]
    await bus.close()
    async with asyncio.timeout(WAIT_S):
        assert await asyncio.gather(*watchers) == [[b"last"], [b"last"]]


async def test_request_reaches_the_responder(bus: MessageBus, prefix: str) -> None:
    await bus.serve(f"{prefix}.station.7.command", echo)
    assert await bus.request(f"{prefix}.station.7.command", b"reset", WAIT_S) == b"RESET"
    assert await bus.request(f"{prefix}.station.7.command", b"unlock", WAIT_S) == b"UNLOCK"


async def test_request_without_responder_raises_no_responder(bus: MessageBus, prefix: str) -> None:
    await bus.serve(f"{prefix}.station.8.command", echo)
    with pytest.raises(NoResponder):
        await bus.request(f"{prefix}.station.7.command", b"reset", WAIT_S)


async def test_request_times_out_when_the_responder_does_not_answer(
    bus: MessageBus, prefix: str
) -> None:
    never = asyncio.Event()

    async def stuck(body: bytes) -> bytes:
        await never.wait()
        return body

    await bus.serve(f"{prefix}.station.7.command", stuck)
    try:
        with pytest.raises(TimeoutError):
            await bus.request(f"{prefix}.station.7.command", b"reset", 0.05)
        # The bus is still fine afterwards.
        await bus.serve(f"{prefix}.station.8.command", echo)
        assert await bus.request(f"{prefix}.station.8.command", b"ok", WAIT_S) == b"OK"
    finally:
        never.set()
    if isinstance(bus, RedisBus):
        assert not bus._pending


async def test_a_failing_handler_fails_the_request(bus: MessageBus, prefix: str) -> None:
    async def failing(body: bytes) -> bytes:
        raise ValueError("unknown id tag")

    await bus.serve(f"{prefix}.station.7.command", failing)
    with pytest.raises(Exception, match="unknown id tag") as raised:
        await bus.request(f"{prefix}.station.7.command", b"start", WAIT_S)
    if isinstance(bus, RedisBus):
        assert isinstance(raised.value, RemoteError)
        assert raised.value.error_type == "ValueError"
        assert raised.value.error_message == "unknown id tag"
    else:
        assert isinstance(raised.value, ValueError)


async def test_a_newer_responder_replaces_the_older(bus: MessageBus, prefix: str) -> None:
    topic = f"{prefix}.station.7.command"
    old = await bus.serve(topic, answering(b"old"))
    new = await bus.serve(topic, answering(b"new"))
    assert await bus.request(topic, b"?", WAIT_S) == b"new"
    await old.close()  # replaced already: closing it leaves the newer one serving
    assert await bus.request(topic, b"?", WAIT_S) == b"new"
    await new.close()
    with pytest.raises(NoResponder):
        await bus.request(topic, b"?", WAIT_S)
    again = await bus.serve(topic, answering(b"again"))
    assert await bus.request(topic, b"?", WAIT_S) == b"again"
    await again.close()
    await again.close()  # closing twice is harmless
    with pytest.raises(NoResponder):
        await bus.request(topic, b"?", WAIT_S)


# RedisBus across nodes


async def test_two_nodes_reach_each_other(nodes: tuple[RedisBus, RedisBus], prefix: str) -> None:
    a, b = nodes
    await a.serve(f"{prefix}.station.7.command", echo)
    assert await b.request(f"{prefix}.station.7.command", b"reset", WAIT_S) == b"RESET"
    with pytest.raises(NoResponder):
        await a.request(f"{prefix}.station.8.command", b"reset", WAIT_S)

    on_b = await b.subscribe(f"{prefix}.station.*")
    on_a = await a.subscribe(f"{prefix}.station.7.status")
    assert await a.publish(f"{prefix}.station.7.status", b"from a") == 2  # one per node
    assert await b.publish(f"{prefix}.station.9.status", b"from b") == 1
    assert await take(on_b, 2) == [b"from a", b"from b"]
    assert await take(on_a) == [b"from a"]


async def test_the_first_of_two_replies_wins(
    nodes: tuple[RedisBus, RedisBus], redis_url: str, prefix: str
) -> None:
    a, b = nodes
    topic = f"{prefix}.station.7.command"
    answered = {"a": asyncio.Event(), "b": asyncio.Event()}

    def handler(node: str) -> RequestHandler:
        async def answer(body: bytes) -> bytes:
            answered[node].set()
            return node.encode()

        return answer

    await a.serve(topic, handler("a"))
    await b.serve(topic, handler("b"))
    async with RedisBus(redis_url, _node_id("c")) as c:
        assert await c.request(topic, b"?", WAIT_S) in (b"a", b"b")
        async with asyncio.timeout(WAIT_S):
            await answered["a"].wait()
            await answered["b"].wait()
        assert not c._pending
        assert await c.request(topic, b"?", WAIT_S) in (b"a", b"b")


async def test_a_responder_closed_in_flight_answers_no_responder(
    nodes: tuple[RedisBus, RedisBus], prefix: str
) -> None:
    a, b = nodes
    topic = f"{prefix}.station.7.command"
    await a.serve(topic, echo)
    # As if the charger disconnected while the request travelled: node a still listens to
    # the channel but has no responder any more; it says so instead of letting b wait.
    del a._responders[topic]
    async with asyncio.timeout(WAIT_S):
        with pytest.raises(NoResponder):
            await b.request(topic, b"reset", 30)


async def test_a_slow_handler_does_not_hold_up_other_messages(
    nodes: tuple[RedisBus, RedisBus], prefix: str
) -> None:
    a, b = nodes
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(body: bytes) -> bytes:
        started.set()
        await release.wait()
        return b"slow " + body

    await a.serve(f"{prefix}.station.7.command", slow)
    await a.serve(f"{prefix}.station.8.command", echo)
    events = await a.subscribe(f"{prefix}.station.*")
    waiting = asyncio.create_task(b.request(f"{prefix}.station.7.command", b"reset", WAIT_S))
    async with asyncio.timeout(WAIT_S):
        await started.wait()
    assert await b.request(f"{prefix}.station.8.command", b"fast", WAIT_S) == b"FAST"
    assert await b.publish(f"{prefix}.station.8.status", b"event") == 1
    assert await take(events) == [b"event"]
    assert not waiting.done()
    release.set()
    async with asyncio.timeout(WAIT_S):
        assert await waiting == b"slow reset"


async def test_the_reader_survives_a_dropped_connection(
    nodes: tuple[RedisBus, RedisBus], redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    events = await a.subscribe(f"{prefix}.station.*")
    await a.serve(f"{prefix}.station.7.command", echo)
    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        clients = await admin.client_list(_type="pubsub")
        ids = [c["id"] for c in clients if c["name"] == a.subscriber_client_name]
        assert len(ids) == 1
        with caplog.at_level(logging.INFO, logger="cpo.redis_bus"):
            assert await admin.client_kill_filter(_id=ids[0]) == 1
            async with asyncio.timeout(WAIT_S):
                # Until node a subscribed again, a publish reaches nobody and is lost; the
                # count Redis answers is what tells when it is back (no event to wait on).
                while await b.publish(f"{prefix}.station.7.status", b"after") == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            assert await take(events) == [b"after"]
        renewed = [
            c["id"]
            for c in await admin.client_list(_type="pubsub")
            if c["name"] == a.subscriber_client_name
        ]
    finally:
        await admin.aclose()
    assert len(renewed) == 1
    assert renewed != ids
    assert await b.request(f"{prefix}.station.7.command", b"reset", WAIT_S) == b"RESET"
    assert await a.request(f"{prefix}.station.7.command", b"own", WAIT_S) == b"OWN"
    logged = [r for r in caplog.records if r.name == "cpo.redis_bus"]
    assert any(r.levelno == logging.WARNING and "failed" in r.message for r in logged)
    assert any("restored" in r.message for r in logged)


async def test_undecodable_envelopes_are_ignored(
    nodes: tuple[RedisBus, RedisBus], redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    topic = f"{prefix}.station.7.command"
    await a.serve(topic, echo)
    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        with caplog.at_level(logging.WARNING, logger="cpo.redis_bus"):
            assert await admin.publish(a.request_channel(topic), b"\xc1 garbage") == 1
            assert await admin.publish(b.reply_channel, b"\xc1 garbage") == 1
            assert await admin.publish(a.request_channel(topic), b"\x93\x01\x02\x03") == 1
            assert await b.request(topic, b"still here", WAIT_S) == b"STILL HERE"
    finally:
        await admin.aclose()
    assert sum("undecodable" in r.message for r in caplog.records) == 3


async def test_closing_fails_pending_requests(
    nodes: tuple[RedisBus, RedisBus], prefix: str
) -> None:
    a, b = nodes
    started = asyncio.Event()

    async def stuck(body: bytes) -> bytes:
        started.set()
        await asyncio.Event().wait()
        return body

    await a.serve(f"{prefix}.station.7.command", stuck)
    waiting = asyncio.create_task(b.request(f"{prefix}.station.7.command", b"reset", WAIT_S))
    async with asyncio.timeout(WAIT_S):
        await started.wait()
    await b.close()
    with pytest.raises(BusClosed):
        await waiting
    with pytest.raises(BusClosed):
        await b.publish(f"{prefix}.station.7.status", b"closed")
    await a.close()  # cancels the stuck handler


async def test_starting_without_redis_fails_cleanly() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", _node_id("nowhere"), redis_timeout_s=1)
    with pytest.raises(redis.ConnectionError):
        await bus.start()
    await bus.close()
