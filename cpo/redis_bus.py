"""The message bus over Redis pub/sub: any number of app nodes act as one system.

`RedisBus` implements `cpo.bus.MessageBus` like `InProcessBus` does, but a message published
on one node reaches subscribers on every node, and a request reaches the responder on
whichever node holds the charger's socket.

Channel layout (`<ns>` is the namespace, "cpo" by default; Redis pub/sub channels are global
to the server, whatever database the URL selects, so deployments sharing one Redis need
different namespaces):

- `<ns>:event:<topic>`            events; a `prefix.*` subscription is a PSUBSCRIBE of the
                                  pattern `<ns>:event:<prefix>.*` (glob characters in the
                                  prefix are escaped)
- `<ns>:request:<topic>`          requests for `topic`; subscribed by the node serving it
- `<ns>:reply:<node id>:<random>` the private reply channel of one bus instance

A request is a msgpack envelope `[id, reply channel, body]` on the request channel. PUBLISH
answers how many connections received it: 0 means nobody serves the topic (`NoResponder`).
The serving node runs the handler in a task of its own and publishes `[id, status, body,
error type, error message]` on the reply channel; status is "ok", "error" (the handler
raised: the requester gets `RemoteError`) or "no_responder" (the responder closed while the
request travelled: once every receiver said so, the requester gets `NoResponder`). The first
answer wins; later ones (two nodes serving one topic during a takeover) are ignored.

Connections: one Redis client for PUBLISH, and one pub/sub connection per node shared by all
its subscriptions, owned by a single reader task. Local subscribers are fanned out in-process
(each with a bounded queue that drops the oldest message when its watcher stops reading); a
Redis channel is subscribed when its first local subscriber arrives and unsubscribed when the
last one leaves, and (un)subscribing waits until Redis confirmed it, so a message published
anywhere after `subscribe()` returned is delivered.

When Redis fails: the reader reconnects (at once, then with a backoff capped at
`max_backoff_s`) and subscribes everything the node wants again; subscribe/serve/close never
fail because of Redis (they take effect when the reader reconnects). Pending requests time
out as usual. `publish()` logs the failure and returns 0 (events are best-effort; live views
re-read the database), and `request()` raises `NoResponder`, since nobody could be reached.
The reader also pings an idle connection every `health_check_interval_s` to notice a
connection that died silently. The reader owns the pub/sub connection instead of using
redis-py's `PubSub`, which reconnects from whichever task meets the error and would race
with subscriptions made by other tasks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import msgspec
from redis.asyncio import Redis
from redis.asyncio.connection import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from cpo.bus import SUBSCRIPTION_BUFFER, NoResponder, RequestHandler

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Coroutine

    from cpo.bus import MessageBus

log = logging.getLogger("cpo.redis_bus")

# Recently served request ids: a PUBLISH that redis-py retried after a lost connection must
# not run a command on the charger twice.
_SEEN_REQUESTS = 4096
_FIRST_BACKOFF_S = 0.1

# (is a pattern, Redis channel or pattern name)
_Key = tuple[bool, bytes]


class RemoteError(Exception):
    """The responder's handler raised an exception on the serving node."""

    def __init__(self, topic: str, error_type: str, error_message: str) -> None:
        super().__init__(f"the responder of {topic} failed: {error_type}: {error_message}")
        self.topic = topic
        self.error_type = error_type
        self.error_message = error_message


class BusClosed(Exception):
    """The bus was closed (pending requests fail with it)."""


class _Request(msgspec.Struct, array_like=True, frozen=True):
    id: str
    reply_to: str
    body: bytes


class _Reply(msgspec.Struct, array_like=True, frozen=True):
    id: str
    status: Literal["ok", "error", "no_responder"]
    body: bytes = b""
    error_type: str = ""
    error_message: str = ""


_encode = msgspec.msgpack.Encoder().encode
_decode_request = msgspec.msgpack.Decoder(_Request).decode
_decode_reply = msgspec.msgpack.Decoder(_Reply).decode


def _glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


def _client_name(text: str) -> str:
    """Redis accepts client names of printable characters without spaces."""
    return re.sub(r"[^!-~]", "_", text)


class _RedisSubscription:
    def __init__(self, bus: RedisBus, key: _Key) -> None:
        self._bus = bus
        self.key = key
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(SUBSCRIPTION_BUFFER)
        self.ended = False

    def deliver(self, message: bytes) -> None:
        if self.ended:
            return
        self._make_room()
        self.queue.put_nowait(message)

    def end(self) -> None:
        """Make `async for` loops over this subscription stop (after what is queued)."""
        if not self.ended:
            self.ended = True
            self._make_room()
            self.queue.put_nowait(None)

    def _make_room(self) -> None:
        if self.queue.full():
            # A watcher that stopped reading must not hold up the bus: it loses the oldest
            # event, and live views re-read state from the database when they resume.
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.queue.get()
            if message is None:
                self.queue.put_nowait(None)  # later loops over it end too
                return
            yield message

    async def close(self) -> None:
        self.end()
        await self._bus._remove_subscription(self)


class _RedisResponder:
    def __init__(self, bus: RedisBus, topic: str, handler: RequestHandler) -> None:
        self._bus = bus
        self.topic = topic
        self.handler = handler

    async def close(self) -> None:
        await self._bus._remove_responder(self)


class _Pending:
    __slots__ = ("future", "receivers", "refusals", "topic")

    def __init__(self, topic: str, future: asyncio.Future[bytes]) -> None:
        self.topic = topic
        self.future = future
        self.receivers: int | None = None  # known once PUBLISH answered
        self.refusals = 0


class RedisBus:
    """The bus of a node among several, over Redis pub/sub (see the module docstring).

    Call `start()` before use and `close()` at the end, or use it as an async context manager.
    """

    def __init__(
        self,
        url: str,
        node_id: str,
        *,
        namespace: str = "cpo",
        redis_timeout_s: float = 3.0,
        max_backoff_s: float = 5.0,
        health_check_interval_s: float = 30.0,
    ) -> None:
        self.url = url
        self.node_id = node_id
        self._event_prefix = f"{namespace}:event:"
        self._request_prefix = f"{namespace}:request:"
        self._request_prefix_bytes = self._request_prefix.encode()
        self.reply_channel = f"{namespace}:reply:{node_id}:{uuid.uuid4().hex[:12]}"
        self._reply_name = self.reply_channel.encode()
        self.client_name = _client_name(f"{namespace}-bus:{node_id}")
        # The name of the pub/sub connection (CLIENT LIST shows it).
        self.subscriber_client_name = self.client_name + ":sub"
        # Bounds every Redis operation: connecting, publishing, confirming a subscription.
        self._redis_timeout_s = redis_timeout_s
        self._max_backoff_s = max_backoff_s
        self._health_check_interval_s = health_check_interval_s

        self._redis: Redis | None = None
        self._pool: ConnectionPool | None = None
        self._connection: Any = None  # redis.asyncio.connection.AbstractConnection
        self._reader: asyncio.Task[None] | None = None
        self._ready = False  # the pub/sub connection is up and subscribed to everything wanted
        self._closed = False
        # Serialises changes of what the pub/sub connection listens to.
        self._lock = asyncio.Lock()
        self._sinks: dict[_Key, set[_RedisSubscription]] = {}
        self._responders: dict[str, _RedisResponder] = {}
        self._pending: dict[str, _Pending] = {}
        self._confirmations: dict[tuple[bytes, bytes], collections.deque[asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen_requests: dict[str, None] = {}

    # Channel names

    def event_channel(self, topic: str) -> str:
        """The Redis channel (or, for `prefix.*`, pattern) that carries `topic`."""
        if topic.endswith(".*"):
            return _glob_escape(self._event_prefix + topic[:-2]) + ".*"
        return self._event_prefix + topic

    def request_channel(self, topic: str) -> str:
        return self._request_prefix + topic

    def _event_key(self, topic: str) -> _Key:
        return (topic.endswith(".*"), self.event_channel(topic).encode())

    # Life cycle

    async def start(self) -> None:
        """Connect to Redis and subscribe the reply channel; raises if Redis is unreachable."""
        if self._closed:
            raise BusClosed("the bus is closed")
        if self._reader is not None:
            return
        self._redis = Redis.from_url(
            self.url,
            client_name=self.client_name + ":pub",
            socket_connect_timeout=self._redis_timeout_s,
            socket_timeout=self._redis_timeout_s,
            socket_keepalive=True,
            # A pooled connection may have died while idle: retry a command at once, twice.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        )
        # The reader alone reconnects the pub/sub connection, on its own schedule.
        self._pool = ConnectionPool.from_url(
            self.url,
            client_name=self.subscriber_client_name,
            socket_connect_timeout=self._redis_timeout_s,
            socket_timeout=self._redis_timeout_s,  # reads of the reader set their own
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        self._connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        try:
            await self._redis.ping()
            await self._connect_and_subscribe()
            async with asyncio.timeout(self._redis_timeout_s):
                response = await self._connection.read_response()
            if not (
                isinstance(response, list) and response[:2] == [b"subscribe", self._reply_name]
            ):
                raise RedisError(f"unexpected answer to SUBSCRIBE: {response!r}")
        except BaseException:
            await self._disconnect()
            raise
        self._reader = asyncio.create_task(self._read_loop(), name=f"redis bus {self.node_id}")

    async def close(self) -> None:
        """Stop the reader, fail pending requests, end local subscriptions, disconnect."""
        if self._closed:
            return
        self._closed = True
        self._ready = False
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(BusClosed("the bus was closed"))
        for sinks in self._sinks.values():
            for subscription in sinks:
                subscription.end()
        self._sinks.clear()
        self._responders.clear()
        self._release_confirmations()
        await self._disconnect()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _disconnect(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.disconnect(nowait=True)
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await self._pool.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()

    def _started(self) -> Redis:
        if self._closed:
            raise BusClosed("the bus is closed")
        if self._redis is None:
            raise RuntimeError("RedisBus.start() was not called")
        return self._redis

    # MessageBus

    async def publish(self, topic: str, message: bytes) -> int:
        """PUBLISH `message`; returns how many Redis connections (nodes) received it.

        A Redis failure is logged and counts as nobody reached (0).
        """
        redis = self._started()
        try:
            async with asyncio.timeout(self._redis_timeout_s):
                return int(await redis.publish(self.event_channel(topic), message))
        except (RedisError, OSError, TimeoutError) as error:
            log.warning("could not publish on %s: %r", topic, error)
            return 0

    async def subscribe(self, topic: str) -> _RedisSubscription:
        self._started()
        key = self._event_key(topic)
        subscription = _RedisSubscription(self, key)
        async with self._lock:
            self._started()
            sinks = self._sinks.get(key)
            if sinks is not None:
                sinks.add(subscription)
            else:
                self._sinks[key] = {subscription}
                try:
                    await self._send(b"psubscribe" if key[0] else b"subscribe", key[1])
                except asyncio.CancelledError:
                    self._spawn(subscription.close())  # nobody else will close it
                    raise
        return subscription

    async def _remove_subscription(self, subscription: _RedisSubscription) -> None:
        async with self._lock:
            sinks = self._sinks.get(subscription.key)
            if sinks is None or subscription not in sinks:
                return
            sinks.discard(subscription)
            if not sinks:
                del self._sinks[subscription.key]
                is_pattern, name = subscription.key
                await self._send(b"punsubscribe" if is_pattern else b"unsubscribe", name)

    async def serve(self, topic: str, handler: RequestHandler) -> _RedisResponder:
        """Answer requests on `topic`; replaces an earlier responder of this node."""
        self._started()
        responder = _RedisResponder(self, topic, handler)
        async with self._lock:
            self._started()
            previous = self._responders.get(topic)
            self._responders[topic] = responder
            if previous is None:
                try:
                    await self._send(b"subscribe", self.request_channel(topic).encode())
                except asyncio.CancelledError:
                    self._spawn(responder.close())  # nobody else will close it
                    raise
        return responder

    async def _remove_responder(self, responder: _RedisResponder) -> None:
        async with self._lock:
            if self._responders.get(responder.topic) is not responder:
                return  # replaced by a newer responder, or the bus closed
            del self._responders[responder.topic]
            await self._send(b"unsubscribe", self.request_channel(responder.topic).encode())

    async def request(self, topic: str, message: bytes, timeout_s: float) -> bytes:
        """Send a request to the node serving `topic` and wait for the reply.

        Raises NoResponder (nobody serves it, or Redis is unreachable), TimeoutError,
        RemoteError (the handler raised) or BusClosed.
        """
        redis = self._started()
        request_id = uuid.uuid4().hex
        pending = _Pending(topic, asyncio.get_running_loop().create_future())
        self._pending[request_id] = pending
        envelope = _encode(_Request(request_id, self.reply_channel, message))
        try:
            async with asyncio.timeout(timeout_s):
                try:
                    receivers = int(await redis.publish(self.request_channel(topic), envelope))
                except (RedisError, OSError) as error:
                    log.warning("could not send a request on %s: %s", topic, error)
                    raise NoResponder(f"{topic} (Redis is unreachable)") from error
                if receivers == 0:
                    raise NoResponder(topic)
                pending.receivers = receivers
                if pending.refusals >= receivers and not pending.future.done():
                    raise NoResponder(topic)
                return await pending.future
        finally:
            del self._pending[request_id]
            if pending.future.done() and not pending.future.cancelled():
                pending.future.exception()  # retrieved, even if nobody awaited it
            else:
                pending.future.cancel()

    # The pub/sub connection

    async def _connect_and_subscribe(self) -> None:
        """(Re)connect the pub/sub connection and subscribe everything this node wants."""
        connection = self._connection
        await connection.connect()
        # Under the lock, nobody changes what the node wants between the snapshot and the
        # write, and whatever they change afterwards goes out after it (Redis keeps the order
        # of one connection's commands). Nobody holding the lock waits for this task: while
        # the connection is not ready, (un)subscribing sends nothing.
        async with self._lock:
            channels = [
                self._reply_name,
                *(self.request_channel(topic).encode() for topic in self._responders),
                *(name for is_pattern, name in self._sinks if not is_pattern),
            ]
            patterns = [name for is_pattern, name in self._sinks if is_pattern]
            commands: list[tuple[bytes, ...]] = [(b"subscribe", *channels)]
            if patterns:
                commands.append((b"psubscribe", *patterns))
            await connection.send_packed_command(
                connection.pack_commands(commands), check_health=False
            )
            self._ready = True

    async def _send(self, command: bytes, name: bytes) -> None:
        """Send one (P)(UN)SUBSCRIBE and wait until Redis confirms it. Holds self._lock.

        Never raises for Redis failures: the wanted state is already recorded, and the reader
        subscribes to all of it when it reconnects.
        """
        connection = self._connection
        if not self._ready or not connection.is_connected:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._confirmations.setdefault((command, name), collections.deque())
        waiters.append(waiter)
        try:
            async with asyncio.timeout(self._redis_timeout_s):
                # Shielded: a send interrupted half-way would make redis-py drop the connection.
                await asyncio.shield(connection.send_command(command, name, check_health=False))
                await waiter
        except TimeoutError:
            # Redis always confirms at once: this connection is no good. Dropping it makes
            # the reader reconnect and subscribe again, instead of everybody waiting here.
            log.warning("Redis did not confirm %s %r in time; reconnecting", command.decode(), name)
            with contextlib.suppress(Exception):
                await connection.disconnect(nowait=True)
        except (RedisError, OSError) as error:
            # redis-py dropped the connection: the reader reconnects and subscribes again.
            log.warning("%s %r failed: %r", command.decode(), name, error)
        finally:
            with contextlib.suppress(ValueError):
                waiters.remove(waiter)
            if not waiters and self._confirmations.get((command, name)) is waiters:
                del self._confirmations[(command, name)]

    def _release_confirmations(self) -> None:
        """Nobody waits for confirmations of a lost connection: reconnecting redoes them."""
        for waiters in self._confirmations.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            waiters.clear()
        self._confirmations.clear()

    async def _read_loop(self) -> None:
        connection = self._connection
        failures = 0
        pinged = False
        while True:
            try:
                if not connection.is_connected:
                    await self._connect_and_subscribe()
                    log.info("Redis pub/sub connection restored; subscriptions renewed")
                response = await connection.read_response(timeout=self._health_check_interval_s)
                if response is None:  # quiet for a while: is the connection still alive?
                    if pinged:
                        raise RedisError("no answer to PING on the pub/sub connection")
                    pinged = True
                    await connection.send_command(b"ping", check_health=False)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Whatever happened (lost connection, garbage, a bug), start again from a
                # fresh connection: the reader must outlive every failure.
                self._ready = False
                pinged = False
                self._release_confirmations()
                with contextlib.suppress(Exception):
                    await connection.disconnect(nowait=True)
                delay = (
                    0.0
                    if failures == 0
                    else min(self._max_backoff_s, _FIRST_BACKOFF_S * 2 ** (failures - 1))
                )
                failures += 1
                log.warning(
                    "Redis pub/sub connection failed (%s: %s); reconnecting in %.1f s",
                    type(error).__name__,
                    error,
                    delay,
                )
                if delay:
                    await asyncio.sleep(delay)
                continue
            failures = 0
            pinged = False
            try:
                self._dispatch(response)
            except Exception:
                log.exception("could not handle a pub/sub message: %r", response)

    # Incoming messages (in the reader task: nothing here may block)

    def _dispatch(self, response: Any) -> None:
        if not isinstance(response, list) or not response:
            log.warning("unexpected data on the pub/sub connection: %r", response)
            return
        kind = response[0]
        if kind == b"message" and len(response) == 3:
            _, channel, data = response
            if channel == self._reply_name:
                self._on_reply(data)
            elif channel.startswith(self._request_prefix_bytes):
                topic = channel[len(self._request_prefix_bytes) :].decode(errors="replace")
                self._on_request(topic, data)
            else:
                for subscription in self._sinks.get((False, channel), ()):
                    subscription.deliver(data)
        elif kind == b"pmessage" and len(response) == 4:
            _, pattern, _, data = response
            for subscription in self._sinks.get((True, pattern), ()):
                subscription.deliver(data)
        elif kind in (b"subscribe", b"unsubscribe", b"psubscribe", b"punsubscribe"):
            waiters = self._confirmations.get((kind, response[1]))
            if waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)
        elif kind != b"pong":
            log.warning("unexpected message on the pub/sub connection: %r", response)

    def _on_request(self, topic: str, data: bytes) -> None:
        try:
            request = _decode_request(data)
        except msgspec.DecodeError as error:
            log.warning("ignored an undecodable request on %s: %s", topic, error)
            return
        if request.id in self._seen_requests:
            return
        self._seen_requests[request.id] = None
        if len(self._seen_requests) > _SEEN_REQUESTS:
            del self._seen_requests[next(iter(self._seen_requests))]
        responder = self._responders.get(topic)
        if responder is None:
            # Closed while the request travelled: say so rather than let it time out.
            self._spawn(self._reply(request.reply_to, _Reply(request.id, "no_responder")))
        else:
            self._spawn(self._answer(responder, request))

    def _on_reply(self, data: bytes) -> None:
        try:
            reply = _decode_reply(data)
        except msgspec.DecodeError as error:
            log.warning("ignored an undecodable reply: %s", error)
            return
        pending = self._pending.get(reply.id)
        if pending is None or pending.future.done():
            return  # too late (timed out), or another node answered first
        if reply.status == "ok":
            pending.future.set_result(reply.body)
        elif reply.status == "error":
            pending.future.set_exception(
                RemoteError(pending.topic, reply.error_type, reply.error_message)
            )
        else:
            pending.refusals += 1
            if pending.receivers is not None and pending.refusals >= pending.receivers:
                pending.future.set_exception(NoResponder(pending.topic))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, responder: _RedisResponder, request: _Request) -> None:
        try:
            reply = _Reply(request.id, "ok", await responder.handler(request.body))
        except NoResponder:
            # The handler declines (e.g. a connection that was just taken over elsewhere):
            # another node's answer counts, or the requester hears that nobody serves.
            reply = _Reply(request.id, "no_responder")
        except Exception as error:
            log.warning("the responder of %s failed", responder.topic, exc_info=True)
            reply = _Reply(request.id, "error", b"", type(error).__name__, str(error))
        await self._reply(request.reply_to, reply)

    async def _reply(self, channel: str, reply: _Reply) -> None:
        try:
            async with asyncio.timeout(self._redis_timeout_s):
                await self._started().publish(channel, _encode(reply))
        except (RedisError, OSError, TimeoutError, BusClosed) as error:
            log.warning("could not send a reply to %s: %s", channel, error)


if TYPE_CHECKING:

    def _is_a_message_bus(bus: RedisBus) -> MessageBus:
        return bus
