"""Commands, Receiver interface: `POST /ocpi/2.2.1/commands/{command}`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.params import FromPath

from api.ocpi.common import MAX_BODY_BYTES, CallingPartner, registered, reply
from roaming.commands import CommandRunner, command_type
from roaming.transport import VERSION, OcpiError, Status


class CommandsController(Controller):
    path = f"/ocpi/{VERSION}/commands"
    tags = ["OCPI: commands"]

    @post(
        "/{command:str}",
        status_code=200,
        summary="START_SESSION, STOP_SESSION or UNLOCK_CONNECTOR",
        description="Answered at once; the result follows at the command's response_url.",
    )
    async def command(
        self,
        request: Request[Any, Any, Any],
        state: State,
        caller: CallingPartner,
        command: FromPath[str],
    ) -> Response[Any]:
        partner = registered(caller)
        kind = command_type(command)
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise OcpiError(Status.INVALID_PARAMETERS, "request body too large", http_status=413)
        runner: CommandRunner = state.roaming_commands
        return reply(request, await runner.receive(partner, kind, raw))
