"""Property-based fuzzing of the whole API against its own OpenAPI document, bounded in examples.

Schemathesis generates requests for every operation from `/api/v1/openapi.json`, valid and invalid alike,
and sends them as an administrator: no answer may be a server error, and every answer must match the
document (status, content type, body shape). Hypothesis drives each operation directly, one after the
other, with a fresh administrator token each, so one operation's revoked token or locked sign-in does
not blind the next.
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from engine import signin, unit_of_work
from webapp.auth import wall_clock

EXAMPLES = 12  # per operation: enough to reach the error paths, bounded so CI stays short
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _admin_token(app: Flask) -> dict[str, str]:
    # Issued through the engine, not the sign-in endpoint, which the fuzzing itself may have locked.
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        signed = signin.sign_in(session, "admin", "govflow-demo", kind=signin.TOKEN, address=None,
                                now=wall_clock())
    return {"Authorization": f"Bearer {signed.secret}"}


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str], statuses: list[int]) -> None:
    # Valid requests and requests that break the document's own rules, half and half.
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @given(case=cases, _=st.just(operation.label))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case, _: str) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    fuzz()


def test_no_request_gets_a_server_error_or_an_answer_the_document_does_not_describe(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    statuses: list[int] = []
    for operation in operations:
        _fuzz(operation, _admin_token(app), statuses)
    # Every operation was really called, and both accepted and refused answers were met.
    assert len(statuses) >= len(operations) and any(s < 300 for s in statuses) and any(s == 422 for s in statuses)
