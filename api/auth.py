"""Who is calling: operator API tokens (`Authorization: Bearer cpo_…`) for the admin API."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from cpo.errors import NotAuthenticated
from cpo.operators.service import OperatorRef, authenticate_api_token


async def provide_operator(request: Request[Any, Any, Any], state: State) -> OperatorRef:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an operator API token: Authorization: Bearer cpo_…")
    operator = await authenticate_api_token(state.ctx, token.strip())
    if operator is None:
        raise NotAuthenticated("the API token is unknown or revoked")
    return operator


# What an admin route declares to get the calling operator.
CallingOperator = NamedDependency[OperatorRef]
