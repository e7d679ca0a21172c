"""Bearer tokens for API clients, and who the token belongs to."""

from __future__ import annotations

from typing import Any

from flask import current_app

from engine import signin, users

from ..auth import bearer_token, current_actor, sign_in, wall_clock
from ..db import get_session
from .common import Blueprint
from .schemas import SignedOutSchema, SignOutArgs, TokenRequestSchema, TokenSchema, UserSchema

blp = Blueprint("auth-api", __name__, url_prefix="/api/v1", description="Authentication")


@blp.post("/auth/token")
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def token(credentials: dict[str, str]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token (refused for a while after repeated failures)."""
    signed = sign_in(credentials["username"], credentials["password"], signin.TOKEN)
    return {"token": signed.secret, "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_MAX_AGE_SECONDS"]}


@blp.post("/auth/revoke")
@blp.response(204)
def revoke_token() -> None:
    """End the token this request is sent with: every copy of it stops working."""
    token = bearer_token()
    assert token is not None  # the sign-in check let only a token holder through
    signin.end_session(get_session(), token, wall_clock())


@blp.post("/auth/sign-out-everywhere")
@blp.arguments(SignOutArgs)
@blp.response(200, SignedOutSchema)
def sign_out_everywhere(args: dict[str, str]) -> dict[str, Any]:
    """End every browser sign-in and token of a user (yourself, or anyone for administrators)."""
    actor = current_actor()
    username = args.get("username") or actor.username
    return {"username": username,
            "ended": signin.end_all_sessions(get_session(), actor, username, wall_clock())}


@blp.get("/me")
@blp.response(200, UserSchema)
def me() -> object:
    """Return the user the token belongs to."""
    return users.get_user(get_session(), current_actor().username)
