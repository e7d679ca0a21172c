"""Property-based fuzzing of the whole API against its own OpenAPI document, bounded in examples.

Schemathesis generates requests for every operation from `/api/v1/openapi.json`, valid and invalid alike,
and sends them as an administrator: no answer may be a server error, and every answer must match the
document (status, content type, body shape).
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from .conftest import Tokens

EXAMPLES = 12  # per operation: enough to reach the error paths, bounded so CI stays short


@pytest.fixture
def api_schema(app: Flask) -> schemathesis.BaseSchema:
    """Return the API's own document, served by the app under test."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def admin_headers(token_for: Tokens) -> dict[str, str]:
    """Return an administrator's token, taken before fuzzing can lock sign-in."""
    return token_for("admin")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_request_gets_a_server_error_or_an_answer_the_document_does_not_describe(
        case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    response = case.call(headers=admin_headers)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                             content_type_conformance])
