"""Tokens, Receiver interface: `/ocpi/2.2.1/tokens/{country_code}/{party_id}/{token_uid}`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, put
from litestar.datastructures import State
from litestar.params import FromPath

from api.ocpi.common import CallingPartner, body, registered, reply
from roaming import tokens
from roaming.schemas import Token, TokenPatch
from roaming.transport import VERSION

TOKEN_PATH = "/{country_code:str}/{party_id:str}/{token_uid:str}"  # noqa: S105 (a route)


class TokensController(Controller):
    path = f"/ocpi/{VERSION}/tokens"
    tags = ["OCPI: tokens"]

    @get(TOKEN_PATH, summary="A token as we store it")
    async def get_token(
        self,
        request: Request[Any, Any, Any],
        caller: CallingPartner,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
    ) -> Response[Any]:
        token = await tokens.get_token(
            registered(caller),
            country_code,
            party_id,
            token_uid,
            request.query_params.get("type"),
        )
        return reply(request, token)

    @put(TOKEN_PATH, summary="Push a new or updated token")
    async def put_token(
        self,
        request: Request[Any, Any, Any],
        state: State,
        caller: CallingPartner,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
    ) -> Response[Any]:
        partner = registered(caller)
        token = await body(request, Token)
        await tokens.put_token(
            state.ctx,
            partner,
            country_code,
            party_id,
            token_uid,
            request.query_params.get("type"),
            token,
        )
        return reply(request)

    @patch(TOKEN_PATH, summary="Change some fields of a token")
    async def patch_token(
        self,
        request: Request[Any, Any, Any],
        state: State,
        caller: CallingPartner,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
    ) -> Response[Any]:
        partner = registered(caller)
        changes = await body(request, TokenPatch)
        await tokens.patch_token(
            state.ctx,
            partner,
            country_code,
            party_id,
            token_uid,
            request.query_params.get("type"),
            changes,
        )
        return reply(request)
