"""Bearer tokens for API clients, and who the token belongs to."""

from __future__ import annotations

from typing import Any

from flask import current_app

from engine import users

from ..auth import current_actor, issue_token
from ..db import get_session
from .common import Blueprint
from .schemas import TokenRequestSchema, TokenSchema, UserSchema

blp = Blueprint("auth-api", __name__, url_prefix="/api/v1", description="Authentication")


@blp.post("/auth/token")
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def token(credentials: dict[str, str]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    user = users.authenticate(get_session(), credentials["username"], credentials["password"])
    return {"token": issue_token(user), "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_MAX_AGE_SECONDS"]}


@blp.get("/me")
@blp.response(200, UserSchema)
def me() -> object:
    """Return the user the token belongs to."""
    return users.get_user(get_session(), current_actor().username)
