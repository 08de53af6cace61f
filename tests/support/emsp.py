"""An e-mobility provider (eMSP) for the roaming tests: an OCPI 2.2.1 peer written apart from
the platform's roaming code. It serves its own versions, credentials, tokens (real-time
authorization), and the receiver side of sessions, CDRs, locations, tariffs and command
results; it registers with the platform, pushes tokens and sends commands; and it checks
every object it receives against the OCPI object definitions in `ocpi_spec`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn

from tests.support import ocpi_spec as spec

COUNTRY = "NL"
PARTY = "EMS"


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeEmsp:
    country_code: str = COUNTRY
    party_id: str = PARTY
    role: str = "EMSP"  # or "HUB", which forwards for providers behind it
    port: int = 0
    # The token we accept from the platform (B when it registered with us via our token A,
    # or the one we gave in our credentials), and the one we use to call it.
    accepted_tokens: set[str] = field(default_factory=set)
    token_for_platform: str | None = None
    platform_endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    # Real-time authorization: uid → "ALLOWED", "BLOCKED", "NO_CREDIT", "UNKNOWN", "SLOW".
    authorize_answers: dict[str, str] = field(default_factory=dict)
    authorization_reference: str = "AUTH-REF-1"
    received: list[Received] = field(default_factory=list)
    schema_problems: list[str] = field(default_factory=list)
    send_raw_token_header: bool = False
    fail_pushes_with: int | None = None  # an HTTP status to answer pushes with (outage)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    # -- serving ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/emsp"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/versions"

    def endpoints(self) -> list[dict[str, str]]:
        base = f"{self.base_url}/2.2.1"
        return [
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"},
            {"identifier": "tokens", "role": "SENDER", "url": f"{base}/tokens"},
            {"identifier": "locations", "role": "RECEIVER", "url": f"{base}/locations"},
            {"identifier": "tariffs", "role": "RECEIVER", "url": f"{base}/tariffs"},
            {"identifier": "sessions", "role": "RECEIVER", "url": f"{base}/sessions"},
            {"identifier": "cdrs", "role": "RECEIVER", "url": f"{base}/cdrs"},
            {"identifier": "commands", "role": "SENDER", "url": f"{base}/commands"},
        ]

    def credentials(self, token: str) -> dict[str, Any]:
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": self.role,
                    "business_details": {"name": "Test Mobility"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<not json>"
        request = Received(
            scope["method"], scope["path"], scope["query_string"].decode(), headers, body
        )
        status, answer = await self._handle(request)
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        async with self._changed:
            self.received.append(request)
            self._changed.notify_all()

    def _authorized(self, request: Received) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Token "):
            return False
        value = header[6:]
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except ValueError:
            return False
        return decoded in self.accepted_tokens

    def _check(self, what: str, schema: dict[str, Any], instance: Any) -> None:
        for problem in spec.problems(schema, instance):
            self.schema_problems.append(f"{what}: {problem}")

    def _check_headers(self, request: Received, *, routed: bool) -> None:
        for name in ("x-request-id", "x-correlation-id"):
            if not request.headers.get(name):
                self.schema_problems.append(f"{request.method} {request.path}: no {name}")
        for name in ("ocpi-to-country-code", "ocpi-to-party-id") if routed else ():
            if not request.headers.get(name):
                self.schema_problems.append(f"{request.method} {request.path}: no {name}")

    @staticmethod
    def ok(data: Any = None) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"status_code": 1000, "timestamp": now()}
        if data is not None:
            body["data"] = data
        return 200, body

    @staticmethod
    def error(http: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return http, {"status_code": code, "status_message": message, "timestamp": now()}

    async def _handle(self, request: Received) -> tuple[int, dict[str, Any]]:
        path = request.path.removeprefix("/emsp")
        if not self._authorized(request):
            return self.error(401, 2000, "unauthorized")
        # Routing headers are asked of module requests; the handshake knows no parties yet.
        handshake = path in {"/versions", "/2.2.1", "/2.2.1/credentials"}
        self._check_headers(request, routed=not handshake)
        if path == "/versions":
            return self.ok([{"version": "2.2.1", "url": f"{self.base_url}/2.2.1"}])
        if path == "/2.2.1":
            return self.ok({"version": "2.2.1", "endpoints": self.endpoints()})
        if path == "/2.2.1/credentials":
            return await self._credentials(request)
        if (match := re.fullmatch(r"/2\.2\.1/tokens/([^/]+)/authorize", path)) is not None:
            return await self._authorize(match[1], request)
        if self.fail_pushes_with is not None:
            return self.error(self.fail_pushes_with, 3000, "down for maintenance")
        if path.startswith("/2.2.1/sessions/"):
            schema = spec.SESSION if request.method == "PUT" else {"type": "object"}
            self._check(f"{request.method} session", schema, request.body)
            return self.ok()
        if path == "/2.2.1/cdrs" and request.method == "POST":
            self._check("CDR", spec.CDR, request.body)
            return self.ok()
        if path.startswith("/2.2.1/locations/"):
            if request.method == "PUT":
                self._check("location", spec.LOCATION, request.body)
            return self.ok()
        if path.startswith("/2.2.1/tariffs/"):
            if request.method == "PUT":
                self._check("tariff", spec.TARIFF, request.body)
            return self.ok()
        if path.startswith("/results/"):
            self._check("CommandResult", spec.COMMAND_RESULT, request.body)
            return self.ok()
        return self.error(404, 2000, f"nothing at {path}")

    async def _credentials(self, request: Received) -> tuple[int, dict[str, Any]]:
        if request.method in {"POST", "PUT"}:
            self._check("credentials", spec.CREDENTIALS, request.body)
            theirs = request.body
            # Read the platform's endpoints with the token it gave us, as the spec asks.
            await self.learn_platform(theirs["url"], theirs["token"])
            ours = secrets.token_urlsafe(24)
            self.accepted_tokens = {ours}
            return self.ok(self.credentials(ours))
        if request.method == "DELETE":
            self.accepted_tokens = set()
            self.token_for_platform = None
            return self.ok()
        return self.ok(self.credentials(next(iter(self.accepted_tokens))))

    async def _authorize(self, uid: str, request: Received) -> tuple[int, dict[str, Any]]:
        if request.body is not None:
            self._check("LocationReferences", spec.LOCATION_REFERENCES, request.body)
        answer = self.authorize_answers.get(uid, "UNKNOWN")
        if answer == "SLOW":
            await asyncio.sleep(3)
        if answer == "UNKNOWN":
            return self.error(404, 2004, "unknown token")
        info: dict[str, Any] = {
            "allowed": answer,
            "token": self.token(uid, whitelist="NEVER"),
            "authorization_reference": self.authorization_reference,
        }
        if request.body is not None:
            info["location"] = request.body
        return self.ok(info)

    async def start(self) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(self, host="127.0.0.1", port=self.port, log_config=None)
        )
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)

    async def wait_for(self, predicate: Callable[[], Any], timeout_s: float = 15.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every request received)."""
        async with asyncio.timeout(timeout_s), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    def requests_to(self, method: str, prefix: str) -> list[Received]:
        return [
            r
            for r in self.received
            if r.method == method and r.path.removeprefix("/emsp").startswith(prefix)
        ]

    # -- calling the platform --------------------------------------------------------------

    def token(self, uid: str, **fields: Any) -> dict[str, Any]:
        token: dict[str, Any] = {
            "country_code": self.country_code,
            "party_id": self.party_id,
            "uid": uid,
            "type": "RFID",
            "contract_id": f"NL-EMS-C{uid[-8:]}",
            "issuer": "Test Mobility",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": now(),
        }
        token.update(fields)
        return token

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        value = token if token is not None else (self.token_for_platform or "")
        encoded = value if self.send_raw_token_header else base64.b64encode(value.encode()).decode()
        return {
            "Authorization": f"Token {encoded}",
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
            "OCPI-from-country-code": self.country_code,
            "OCPI-from-party-id": self.party_id,
            **extra,
        }

    async def learn_platform(self, versions_url: str, token: str) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            versions = (await http.get(versions_url, headers=self.headers(token))).json()
            self._check("versions", spec.envelope(spec.array(spec.VERSION)), versions)
            url = next(v["url"] for v in versions["data"] if v["version"] == "2.2.1")
            details = (await http.get(url, headers=self.headers(token))).json()
            self._check("version details", spec.envelope(spec.VERSION_DETAILS), details)
        self.token_for_platform = token
        self.platform_endpoints = {
            (e["identifier"], e["role"]): e["url"] for e in details["data"]["endpoints"]
        }

    async def register(self, versions_url: str, token_a: str) -> dict[str, Any]:
        """Register with the platform (we are the one who got a token A)."""
        await self.learn_platform(versions_url, token_a)
        token_b = secrets.token_urlsafe(24)
        self.accepted_tokens.add(token_b)
        response = await self.request(
            "POST", ("credentials", "SENDER"), "", json_body=self.credentials(token_b)
        )
        body = response.json()
        assert response.status_code == 200, body
        self._check("credentials", spec.envelope(spec.CREDENTIALS), body)
        await self.learn_platform(body["data"]["url"], body["data"]["token"])
        return body

    def offer_token_a(self) -> str:
        """A registration token for the platform to register with us."""
        token_a = secrets.token_urlsafe(24)
        self.accepted_tokens = {token_a}
        return token_a

    async def request(
        self,
        method: str,
        module: tuple[str, str],
        suffix: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        token: str | None = None,
        params: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = self.platform_endpoints[module] + suffix
        async with httpx.AsyncClient(timeout=15) as http:
            return await http.request(
                method,
                url,
                headers=self.headers(token, **(extra_headers or {})),
                json=json_body,
                content=content,
                params=params,
            )

    async def push_token(self, uid: str, **fields: Any) -> httpx.Response:
        token = self.token(uid, **fields)
        return await self.request(
            "PUT",
            ("tokens", "RECEIVER"),
            f"/{token['country_code']}/{token['party_id']}/{uid}",
            json_body=token,
            params={"type": token["type"]},
        )


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@contextlib.asynccontextmanager
async def running_emsp(**options: Any) -> AsyncIterator[FakeEmsp]:
    emsp = FakeEmsp(**options)
    await emsp.start()
    try:
        yield emsp
    finally:
        await emsp.stop()
