"""Server-side form validation: exact amounts, Chinese messages naming each field, fields of conditional branches."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import Bundle, DeploymentError, InvalidInput
from engine.conventions import MONEY, SHARED_FIELDS
from engine.forms import (
    applicable_properties,
    branch_field_problems,
    declared_properties,
    expand_shared,
    make_validator,
    shared_field_problems,
    validate_submission,
)
from engine.spiff.compiler import compile_bundle

from .helpers import SMOKE

FORMS = Path(__file__).resolve().parents[2] / "forms"
AMOUNT = {"type": "object", "properties": {"amount": {"type": "number", "title": "金额（万元）", "minimum": 0,
                                                       "multipleOf": 0.01}}}


def _wire(cents: int) -> float:
    """The float a browser sends for an amount typed with two decimals."""
    return float(json.loads(f"{Decimal(cents) / 100:.2f}"))


def test_every_two_decimal_amount_below_a_thousand_is_accepted_exactly() -> None:
    validator = make_validator(AMOUNT)
    refused = [cents for cents in range(100_000) if not validator.is_valid({"amount": _wire(cents)})]
    assert refused == []
    clean = validate_submission(validator, {"amount": _wire(15001)})
    assert clean["amount"] == Decimal("150.01")


def test_large_two_decimal_amounts_are_accepted_and_three_decimals_refused() -> None:
    validator = make_validator(AMOUNT)
    chosen = random.Random(20261201)
    samples = [chosen.randrange(10_000_000_000) for _ in range(20_000)] + [9_999_999_999, 1, 111, 201]
    assert [c for c in samples if not validator.is_valid({"amount": _wire(c)})] == []
    thirds = [m for m in (chosen.randrange(100_000_000_000) for _ in range(5_000)) if m % 10]
    three_places = [float(json.loads(f"{Decimal(m) / 1000:.3f}")) for m in thirds]
    assert [a for a in three_places if validator.is_valid({"amount": a})] == []


def test_a_third_decimal_place_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_submission(AMOUNT, {"amount": 150.015})
    [error] = refused.value.errors
    assert (error.field, error.message) == ("amount", "「金额（万元）」最多保留 2 位小数")
    steps = {"type": "object", "properties": {"n": {"type": "integer", "title": "套数", "multipleOf": 5}}}
    with pytest.raises(InvalidInput) as uneven:
        validate_submission(steps, {"n": 7})
    assert uneven.value.errors[0].message == "「套数」应为 5 的整数倍"


def test_the_amount_just_above_xichuans_fifteen_percent_boundary_can_be_entered() -> None:
    money_fields = 0
    for path in sorted(FORMS.glob("*/*.schema.json")):
        schema = expand_shared(json.loads(path.read_text(encoding="utf-8")))
        validator = make_validator(schema)
        for name, field in schema.get("properties", {}).items():
            if field.get("multipleOf") == 0.01:
                money_fields += 1
                errors = [e for e in validator.iter_errors({name: 150.01}) if e.validator == "multipleOf"]
                assert errors == [], (path.name, name)
    assert money_fields >= 30


def test_every_amount_in_the_bundles_uses_the_one_money_definition() -> None:
    copies = [path.name for path in FORMS.glob("*/*.schema.json") if "multipleOf" in path.read_text(encoding="utf-8")]
    assert copies == []
    uses = sum(path.read_text(encoding="utf-8").count(f'"$ref": "{MONEY}"') for path in FORMS.glob("*/*.schema.json"))
    assert uses >= 30


def test_a_shared_definition_keeps_its_siblings_and_reaches_the_largest_amount() -> None:
    schema = {"type": "object", "properties": {"total": {"$ref": MONEY, "title": "总投资（万元）", "exclusiveMinimum": 0}}}
    expanded = expand_shared(schema)
    assert expanded["properties"]["total"] == {**SHARED_FIELDS[MONEY], "title": "总投资（万元）", "exclusiveMinimum": 0}
    assert validate_submission(schema, {"total": 99999999.99}) == {"total": Decimal("99999999.99")}
    with pytest.raises(InvalidInput) as too_much:
        validate_submission(schema, {"total": 100000000})
    assert too_much.value.errors[0].message == "「总投资（万元）」不得大于 99999999.99"
    with pytest.raises(InvalidInput):
        validate_submission(schema, {"total": 0})


def test_an_unknown_or_redefined_shared_definition_is_named_with_its_path() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "govflow:yuan"}, "b": {"$ref": MONEY, "multipleOf": 1}}}
    assert shared_field_problems(schema) == [
        "/properties/a: unknown shared definition 'govflow:yuan' (known: govflow:money)",
        "/properties/b: a field using govflow:money may not redefine 'multipleOf'",
    ]


def _messages(schema: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        validate_submission(schema, data)
    return [(e.field, e.message) for e in caught.value.errors]


def test_every_message_is_chinese_and_shows_no_literal() -> None:
    schema = {"type": "object", "properties": {
        "confirmed": {"type": "boolean", "const": True, "title": "已按规定公示"},
        "category": {"type": "string", "enum": ["service", "goods"], "title": "类别"},
        "signedOn": {"type": "string", "format": "date", "title": "签订日期"},
        "amountWan": {"type": "number", "title": "金额"},
        "parties": {"type": "array", "items": {"type": "string"}, "minItems": 2, "title": "参与单位"},
    }}
    assert _messages(schema, {"confirmed": False, "category": "x", "signedOn": "2025-02-30",
                              "amountWan": "十", "parties": ["a"]}) == [
        ("amountWan", "「金额」应填写数字"),
        ("category", "「类别」应为以下之一：service、goods"),
        ("confirmed", "请勾选「已按规定公示」"),
        ("parties", "「参与单位」至少选择 2 项"),
        ("signedOn", "「签订日期」应为日期（如 2025-09-30）"),
    ]
    assert all("False" not in m and "[" not in m and "is not" not in m for _, m in _messages(
        {"type": "object", "properties": {"flag": {"const": False, "title": "标记"}}, "not": {"required": ["flag"]}},
        {"flag": True}))


def test_a_field_declared_only_in_a_conditional_branch_is_accepted_and_required_there() -> None:
    schema = {"type": "object", "additionalProperties": False,
              "properties": {"approved": {"type": "boolean", "title": "同意"}},
              "if": {"properties": {"approved": {"const": False}}},
              "then": {"properties": {"returnReason": {"type": "string", "minLength": 1, "title": "退回理由"}},
                       "required": ["returnReason"]}}
    assert validate_submission(schema, {"approved": False, "returnReason": "概算含运维费用"}) == {
        "approved": False, "returnReason": "概算含运维费用"}
    assert _messages(schema, {"approved": False}) == [("returnReason", "「退回理由」为必填项")]
    assert _messages(schema, {"approved": True, "extra": 1}) == [("extra", "未知字段「extra」")]


def test_data_for_a_branch_the_answers_do_not_open_is_refused_by_title() -> None:
    schema = {"type": "object", "unevaluatedProperties": False,
              "properties": {"approved": {"type": "boolean", "title": "同意"}},
              "if": {"properties": {"approved": {"const": False}}, "required": ["approved"]},
              "then": {"properties": {"returnReason": {"type": "string", "title": "退回理由"}}, "required": ["returnReason"]},
              "else": {"properties": {"approvalNumber": {"type": "string", "title": "批复文号"}}}}
    assert validate_submission(schema, {"approved": True, "approvalNumber": "青数〔2026〕1号"})
    assert _messages(schema, {"approved": True, "returnReason": "概算偏高"}) == [
        ("returnReason", "「退回理由」不适用于本表当前的选择，不应填写")]
    assert _messages(schema, {"approved": False, "returnReason": "概算偏高", "approvalNumber": "1号"}) == [
        ("approvalNumber", "「批复文号」不适用于本表当前的选择，不应填写")]


def test_dependent_schemas_and_all_of_branches_open_their_fields_only_when_they_apply() -> None:
    schema = {"type": "object",
              "properties": {"crossDepartment": {"type": "boolean", "title": "跨部门共建"},
                             "phased": {"type": "boolean", "title": "分期建设"}},
              "dependentSchemas": {"phased": {"properties": {"phases": {"type": "integer", "title": "期数"}}}},
              "allOf": [{"if": {"properties": {"crossDepartment": {"const": True}}, "required": ["crossDepartment"]},
                         "then": {"properties": {"leadUnit": {"type": "string", "title": "牵头单位"}},
                                  "required": ["leadUnit"]}}]}
    assert set(declared_properties(schema)) == {"crossDepartment", "phased", "phases", "leadUnit"}
    validator = make_validator(schema)
    assert applicable_properties(validator, {}) == {"crossDepartment", "phased"}
    assert applicable_properties(validator, {"phased": False, "crossDepartment": True}) == {
        "crossDepartment", "phased", "phases", "leadUnit"}
    assert validate_submission(schema, {"phased": True, "phases": 2, "crossDepartment": True, "leadUnit": "数据局"})
    assert _messages(schema, {"phases": 2, "crossDepartment": False, "leadUnit": "数据局"}) == [
        ("phases", "「期数」不适用于本表当前的选择，不应填写"), ("leadUnit", "「牵头单位」不适用于本表当前的选择，不应填写")]


@pytest.mark.parametrize(("form", "closed", "opened", "field"), [
    ("qingyang/register", {"crossDepartment": False}, {"crossDepartment": True}, "leadUnit"),
    ("qingyang/city_review", {"cityConsent": True}, {"cityConsent": False}, "cityReturnReason"),
    ("qingyang/province_review", {"provinceConsent": True}, {"provinceConsent": False}, "provinceReturnReason"),
    ("datong/apply", {"crossDepartment": False}, {"crossDepartment": True}, "leadDepartment"),
    ("datong/apply", {"multiYear": False}, {"multiYear": True}, "yearlyBudgets"),
    ("datong/deferral", {"deferralApproved": True}, {"deferralApproved": False}, "refusalReason"),
    ("datong/deferral", {"deferralApproved": False}, {"deferralApproved": True}, "deferredTo"),
    ("xichuan/drc_decision", {"drcApproved": True}, {"drcApproved": False}, "drcRefusalReason"),
    ("fengxian/tender_review", {"tenderDocsApproved": True}, {"tenderDocsApproved": False}, "tenderReturnReason"),
    ("yunfu/approval_opinion", {"opinionDecision": "APPROVE"}, {"opinionDecision": "REFUSE"}, "refusalReason"),
])
def test_bundle_forms_open_a_field_only_where_the_regulation_makes_it_relevant(
        form: str, closed: dict[str, Any], opened: dict[str, Any], field: str) -> None:
    schema = expand_shared(json.loads((FORMS / f"{form}.schema.json").read_text(encoding="utf-8")))
    validator = make_validator(schema)
    title = declared_properties(schema)[field]["title"]
    assert field not in schema["properties"] and schema.get("unevaluatedProperties") is False
    assert field not in applicable_properties(validator, closed)
    assert field in applicable_properties(validator, opened)
    with pytest.raises(InvalidInput) as refused:
        validate_submission(validator, {**closed, field: "x"})
    assert (field, f"「{title}」不适用于本表当前的选择，不应填写") in [(e.field, e.message) for e in refused.value.errors]


def test_a_form_whose_branch_fields_the_browser_would_refuse_is_not_deployed() -> None:
    closed = {"type": "object", "additionalProperties": False,
              "properties": {"approved": {"type": "boolean", "title": "同意"}},
              "if": {"properties": {"approved": {"const": False}}, "required": ["approved"]},
              "then": {"properties": {"returnReason": {"type": "string", "title": "退回理由"}}}}
    assert branch_field_problems(closed) == [
        "'returnReason' declared only in a conditional branch: close the form with \"unevaluatedProperties\": false, "
        "not \"additionalProperties\", which refuses them"]
    opened = {("unevaluatedProperties" if key == "additionalProperties" else key): value for key, value in closed.items()}
    assert branch_field_problems(opened) == []
    texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
    texts["forms/rectify.schema.json"] = json.dumps(closed)
    with pytest.raises(DeploymentError) as refused:
        compile_bundle(Bundle.from_texts("smoke", texts))
    assert [(p.file, "returnReason" in p.message) for p in refused.value.problems] == [("forms/rectify.schema.json", True)]
