"""Handing work on in the web app: leaders assign, clerks withdraw and delegate, administrators cancel with a reason."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from engine.usecases.withdrawal import REASONS
from webapp.i18n import MESSAGES

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, Tokens, csrf_of

APPLICANT = "qingyang_applicant_unit"


def _registered(client: FlaskClient, token_for: Tokens) -> tuple[str, str, dict[str, Any]]:
    """Start a Qingyang project, complete its registration; return the instance, the registration, the next task."""
    applicant = token_for(APPLICANT)
    started = client.post("/api/v1/instances", json={"process_id": "qingyang_project", "business_key": "QY-H-1"},
                          headers=applicant).json
    [task] = client.get("/api/v1/tasks?search=QY-H-1", headers=applicant).json["items"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS["Task_Register"], headers=applicant)
    assert done.status_code == 200, done.json
    [following] = client.get(f"/api/v1/instances/{started['id']}", headers=token_for("admin")).json["open_tasks"]
    return started["id"], task["id"], following


def _leader(task: dict[str, Any]) -> str:
    return str(task["candidate_group"]).replace(":", "_")


def test_a_leader_assigns_over_the_api(client: FlaskClient, token_for: Tokens) -> None:
    _, _, task = _registered(client, token_for)
    leader, member = _leader(task), f"{_leader(task)}_member"
    lead = token_for(leader)
    members = client.get(f"/api/v1/tasks/{task['id']}/members", headers=lead)
    assert members.status_code == 200
    assert {m["username"] for m in members.json} == {leader, member}
    assigned = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": member}, headers=lead)
    assert assigned.status_code == 200 and assigned.json["assignee"] == member
    mine = client.get("/api/v1/tasks?scope=mine", headers=token_for(member)).json["items"]
    assert [t["id"] for t in mine] == [task["id"]]
    # The member leads nothing; an outsider of the group is not a member; strangers see no task at all.
    refused = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": leader}, headers=token_for(member))
    assert refused.status_code == 403
    outside = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": "qingyang_finance_bureau"},
                          headers=lead)
    assert outside.status_code == 422 and [f["field"] for f in outside.json["fields"]] == ["assignee"]
    assert client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": member},
                       headers=token_for("qingyang_other_applicant")).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}/assign", json={}, headers=lead).status_code == 422
    back = client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": None}, headers=lead)
    assert back.status_code == 200 and back.json["assignee"] is None


def test_a_leader_assigns_on_the_task_page(client: FlaskClient, token_for: Tokens, login: Login) -> None:
    _, _, task = _registered(client, token_for)
    leader, member = _leader(task), f"{_leader(task)}_member"
    browser = login(leader)
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="assign-form"' in page and f'<option value="{member}"' in page
    assert 'id="assign-form"' not in login(member).get(f"/tasks/{task['id']}").get_data(as_text=True)
    posted = browser.post(f"/tasks/{task['id']}/assign", data={"assignee": member, "csrf_token": csrf_of(browser)})
    assert posted.status_code == 302
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=token_for(member)).json["task"]["assignee"] == member


def test_withdrawing_over_the_api_refuses_with_the_reason_then_succeeds(client: FlaskClient,
                                                                       token_for: Tokens) -> None:
    instance_id, registered, task = _registered(client, token_for)
    applicant, member = token_for(APPLICANT), token_for(f"{_leader(task)}_member")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=member).status_code == 200
    refused = client.post(f"/api/v1/tasks/{registered}/withdraw", headers=applicant)
    assert refused.status_code == 409 and refused.json["error"] == "Conflict"
    assert (refused.json["reason"], refused.json["message"]) == ("next_claimed", "下一环节已被认领，不能撤回")
    assert client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=member).status_code == 200
    # Whoever did not complete it may not withdraw it (403); to other agencies it is not even there (404).
    assert client.post(f"/api/v1/tasks/{registered}/withdraw", headers=token_for("admin")).status_code == 403
    assert client.post(f"/api/v1/tasks/{registered}/withdraw", headers=member).status_code == 404
    withdrawn = client.post(f"/api/v1/tasks/{registered}/withdraw", headers=applicant)
    assert withdrawn.status_code == 200
    assert (withdrawn.json["status"], withdrawn.json["assignee"]) == ("ready", APPLICANT)
    shown = client.get(f"/api/v1/instances/{instance_id}", headers=applicant).json
    assert [t["id"] for t in shown["open_tasks"]] == [registered]
    assert shown["audit"][-1]["action"] == "withdraw"
    again = client.post(f"/api/v1/tasks/{registered}/withdraw", headers=applicant)
    assert again.status_code == 409 and again.json["reason"] == "not_completed"


def test_the_instance_page_offers_the_withdrawal_and_explains_a_refusal(client: FlaskClient, token_for: Tokens,
                                                                       login: Login) -> None:
    instance_id, registered, task = _registered(client, token_for)
    browser = login(APPLICANT)
    page = browser.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert 'id="withdraw-form"' in page and "可以撤回" in page
    assert 'id="withdraw-form"' not in login(_leader(task)).get(f"/instances/{instance_id}").get_data(as_text=True)
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=token_for(_leader(task)))
    refused = browser.post(f"/tasks/{registered}/withdraw", data={"csrf_token": csrf_of(browser)})
    assert refused.status_code == 409 and "下一环节已被认领，不能撤回" in refused.get_data(as_text=True)
    browser.get("/lang/en")
    english = browser.post(f"/tasks/{registered}/withdraw", data={"csrf_token": csrf_of(browser)})
    assert "The next step has been claimed" in english.get_data(as_text=True)


def test_delegating_over_the_api_and_the_page(client: FlaskClient, token_for: Tokens, login: Login) -> None:
    _, _, task = _registered(client, token_for)
    leader = _leader(task)
    colleague = "qingyang_finance_bureau"
    lead = token_for(leader)
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=token_for(colleague)).status_code == 404
    bad = client.post("/api/v1/delegations", json={"delegate": colleague, "starts_on": "2025-09-30",
                                                   "ends_on": "2025-09-01"}, headers=lead)
    assert bad.status_code == 422 and [f["field"] for f in bad.json["fields"]] == ["ends_on"]
    given = client.post("/api/v1/delegations", json={"delegate": colleague, "starts_on": "2025-09-30",
                                                     "ends_on": "2025-10-08", "note": "国庆值班"}, headers=lead)
    assert given.status_code == 201 and given.json["status"] == "active"
    helper = token_for(colleague)
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=helper).status_code == 200
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS[task["task"]], headers=helper)
    assert done.status_code == 200, done.json
    trail = client.get(f"/api/v1/instances/{task['instance_id']}", headers=lead).json["audit"]
    [completion] = [e for e in trail if e["action"] == "complete" and e["task_id"] == task["id"]]
    assert (completion["actor"], completion["on_behalf_of"]) == (colleague, leader)
    page = login(leader).get(f"/instances/{task['instance_id']}").get_data(as_text=True)
    assert f"（代 {leader}）" in page
    assert client.post(f"/api/v1/delegations/{given.json['id']}/end", headers=helper).status_code == 403
    assert client.post("/api/v1/delegations/999999/end", headers=lead).status_code == 404
    ended = client.post(f"/api/v1/delegations/{given.json['id']}/end", headers=lead)
    assert ended.status_code == 200 and ended.json["status"] == "ended"
    assert client.post(f"/api/v1/delegations/{given.json['id']}/end", headers=lead).status_code == 409
    browser = login(leader)
    listing = browser.get("/delegations").get_data(as_text=True)
    assert "国庆值班" in listing and "已提前结束" in listing
    refused = browser.post("/delegations", data={"delegate": leader, "starts_on": "2025-09-30",
                                                 "ends_on": "2025-10-01", "csrf_token": csrf_of(browser)})
    assert refused.status_code == 422 and "不能委托给自己" in refused.get_data(as_text=True)
    created = browser.post("/delegations", data={"delegate": colleague, "starts_on": "2025-10-09",
                                                 "ends_on": "2025-10-10", "csrf_token": csrf_of(browser)})
    assert created.status_code == 302
    assert [d["status"] for d in client.get("/api/v1/delegations", headers=helper).json] == ["scheduled", "ended"]


def test_cancelling_needs_a_reason_and_an_administrator(client: FlaskClient, token_for: Tokens,
                                                        login: Login) -> None:
    instance_id, _, _ = _registered(client, token_for)
    admin = login("admin")
    page = admin.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert 'id="cancel-form"' in page
    assert 'id="cancel-form"' not in login(APPLICANT).get(f"/instances/{instance_id}").get_data(as_text=True)
    empty = admin.post(f"/instances/{instance_id}/cancel", data={"reason": "  ", "csrf_token": csrf_of(admin)})
    assert empty.status_code == 422 and "请填写撤销原因" in empty.get_data(as_text=True)
    api = client.post(f"/api/v1/instances/{instance_id}/cancel", json={}, headers=token_for("admin"))
    assert api.status_code == 422 and [f["field"] for f in api.json["fields"]] == ["reason"]
    clerk = login(APPLICANT)
    assert clerk.post(f"/instances/{instance_id}/cancel", data={"reason": "不做了", "csrf_token": csrf_of(clerk)}
                      ).status_code == 403
    done = admin.post(f"/instances/{instance_id}/cancel", data={"reason": "重复申报", "csrf_token": csrf_of(admin)})
    assert done.status_code == 302
    shown = client.get(f"/api/v1/instances/{instance_id}", headers=token_for("admin")).json
    assert shown["instance"]["status"] == "cancelled"
    assert shown["audit"][-1]["data"] == {"reason": "重复申报"}


def test_the_inbox_puts_handling_first_and_states_the_claim_rule(client: FlaskClient, token_for: Tokens,
                                                                login: Login) -> None:
    _, _, task = _registered(client, token_for)
    page = login(_leader(task)).get("/").get_data(as_text=True)
    assert "提交即视为认领" in page
    row = page[page.index(f'data-task="{task["id"]}"'):]
    row = row[row.index('class="actions"'):row.index("</tr>")]
    assert row.index("办理") < row.index("认领") and '<button type="submit" class="secondary">认领' in row


def test_every_withdrawal_refusal_has_both_interface_texts() -> None:
    for reason, text in REASONS.items():
        assert MESSAGES[f"withdraw_refused_{reason}"][0] == text
        assert MESSAGES[f"withdraw_refused_{reason}"][1].isascii()


def test_the_new_pages_are_complete_in_english(client: FlaskClient, token_for: Tokens, login: Login) -> None:
    instance_id, _, task = _registered(client, token_for)
    pages = {APPLICANT: [f"/instances/{instance_id}", "/delegations", "/"],
             _leader(task): [f"/tasks/{task['id']}"], "admin": [f"/instances/{instance_id}"]}
    keys = [key for key in MESSAGES if key.startswith(("withdraw", "delegat", "assign", "claim_rule", "cancel_",
                                                       "on_behalf", "end_delegation", "all_my_tasks"))]
    for user, urls in pages.items():
        browser = login(user)
        browser.get("/lang/en")
        for url in urls:
            # What a person reads: the diagram's XML rides along in a script and quotes the regulation.
            text = re.sub(r"<script.*?</script>", "", browser.get(url).get_data(as_text=True), flags=re.S)
            assert not [key for key in keys if f">{key}<" in text or f"{key}：" in text], url
            assert "撤回" not in text and "委托" not in text and "分派" not in text, url
