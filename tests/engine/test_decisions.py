"""Direct decision evaluation: inputs typed by typeRef, derived inputs, exact money, clear errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import Engine, InvalidInput, NotFound
from engine.usecases.decisions import evaluate_decision

from .helpers import deploy_smoke, unit


@pytest.fixture
def deployed(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    deploy_smoke(engine, sessions)
    return sessions


def _decide(engine: Engine, sessions: sessionmaker[Session], decision: str, **raw: object) -> dict[str, object]:
    with unit(sessions) as session:
        return evaluate_decision(engine, session, decision, raw).outputs


@pytest.mark.parametrize(("amount", "route"), [("499.99", "SIMPLE"), ("500", "FULL"), ("500.00", "FULL")])
def test_boundary_is_inclusive_at_500(engine: Engine, deployed: sessionmaker[Session], amount: str,
                                      route: str) -> None:
    assert _decide(engine, deployed, "DT_S_01", investmentWan=amount) == {"route": route}


def test_inputs_are_converted_by_type_ref(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        result = evaluate_decision(engine, session, "DT_S_02",
                                   {"signedOn": "2024-12-31", "urgent": "false", "category": "goods", "copies": "1"})
    assert result.inputs == {"signedOn": date(2024, 12, 31), "urgent": False, "category": "goods", "copies": 1}
    assert result.outputs == {"deadlineDays": 30}
    assert _decide(engine, deployed, "DT_S_02", signedOn="2025-03-01", urgent="是", category="goods",
                   copies="1") == {"deadlineDays": 3}
    assert _decide(engine, deployed, "DT_S_02", signedOn="2025-03-01", urgent="false", category="service",
                   copies="3") == {"deadlineDays": 10}
    assert _decide(engine, deployed, "DT_S_02", signedOn="2025-03-01", urgent="false", category="service",
                   copies="2") == {"deadlineDays": 15}


@pytest.mark.parametrize(("name", "value"), [("signedOn", "2025-02-30"), ("urgent", "maybe"),
                                             ("copies", "1.5")])
def test_a_wrong_type_names_the_input(engine: Engine, deployed: sessionmaker[Session], name: str,
                                      value: str) -> None:
    raw = {"signedOn": "2025-03-01", "urgent": "true", "category": "x", "copies": "1", name: value}
    with pytest.raises(InvalidInput) as caught:
        _decide(engine, deployed, "DT_S_02", **raw)
    assert [e.field for e in caught.value.errors] == [name]


def test_unknown_and_missing_inputs_are_named(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput) as caught:
        _decide(engine, deployed, "DT_S_01", investment="1")
    assert [e.field for e in caught.value.errors] == ["investment"]
    # Left out, investmentWan is needed by the first rule: named with that rule's row, never the catch-all's answer.
    with pytest.raises(InvalidInput) as caught:
        _decide(engine, deployed, "DT_S_01")
    assert [(e.field, e.message) for e in caught.value.errors] == [("investmentWan", "规则第 1 行需要此输入才能判断本例")]


@pytest.mark.parametrize(("adjust", "estimate", "route"), [
    ("15.00", "100.00", "SELF_ADJUST_AND_FILE"),   # exactly 15% is allowed (不超过)
    ("15.01", "100.00", "FORMAL_APPROVAL"),
    ("172.50", "1150.00", "SELF_ADJUST_AND_FILE"),  # 15% of 1150: a float product would miss it
    ("172.51", "1150.00", "FORMAL_APPROVAL"),
])
def test_derived_ratio_is_computed_inside_the_decision_exactly(engine: Engine, deployed: sessionmaker[Session],
                                                               adjust: str, estimate: str, route: str) -> None:
    outputs = _decide(engine, deployed, "DT_S_03", adjustAmountWan=adjust, approvedEstimateWan=estimate)
    assert outputs == {"route": route}


def test_unknown_decision_is_not_found(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with pytest.raises(NotFound):
        _decide(engine, deployed, "DT_NOPE", x="1")


def test_number_inputs_are_decimal(engine: Engine, deployed: sessionmaker[Session]) -> None:
    with unit(deployed) as session:
        result = evaluate_decision(engine, session, "DT_S_01", {"investmentWan": "0.10"})
    assert result.inputs["investmentWan"] == Decimal("0.10")
