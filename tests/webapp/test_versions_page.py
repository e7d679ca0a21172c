"""The versions page: the diff and the migration report name elements, fields and keywords in the reader's language."""

from __future__ import annotations

from flask.testing import FlaskClient

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, Tokens, csrf_of

P = "qingyang_project"
SCOPE = "dmn/DT_QY_01.dmn"


def test_a_blocked_instance_and_the_diff_read_in_chinese_and_in_english(client: FlaskClient, token_for: Tokens,
                                                                         login: Login) -> None:
    applicant, owner = token_for("qingyang_applicant_unit"), token_for("qingyang_owner")
    started = client.post("/api/v1/instances", json={"process_id": P, "business_key": "QY-VERSIONS-1"},
                          headers=applicant).json
    [task] = client.get("/api/v1/tasks?search=QY-VERSIONS-1", headers=applicant).json["items"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=ANSWERS["Task_Register"], headers=applicant)
    assert done.status_code == 200, done.json  # the scope decision has now run
    text = client.get("/api/v1/bundles/qingyang/draft", headers=owner).json["files"][SCOPE]
    text = text.replace('"POOLED_CAPITAL_CONSTRUCTION"]', '"POOLED_CAPITAL_CONSTRUCTION", "SPECIAL_BOND"]', 1)
    client.put("/api/v1/bundles/qingyang/draft/files", headers=owner, json={"path": SCOPE, "text": text,
                                                                           "revision": None})
    deployed = client.post("/api/v1/bundles/qingyang/draft/deploy", headers=owner,
                           json={"revision": 1, "note": "专项债券资金纳入适用范围"})
    assert deployed.status_code == 201, deployed.json

    admin = login("admin")
    form = {"csrf_token": csrf_of(admin), "to_version": "2", "action": "dry-run"}
    page = admin.post(f"/processes/{P}/migrate", data=form).get_data(as_text=True)
    assert f'data-instance="{started["id"]}" class="blocked"' in page
    assert '<li data-code="decision_changed">「判定适用范围」已作出决策，新版本修改了这个决策</li>' in page
    assert "主管部门汇总审核" in page  # where it stands, by name

    diff = admin.get(f"/processes/{P}/versions?from=1&to=2").get_data(as_text=True)
    assert "条件：" in diff and "SPECIAL_BOND" in diff and "when:" not in diff

    admin.get("/lang/en")
    english = admin.post(f"/processes/{P}/migrate", data=form).get_data(as_text=True)
    assert '<li data-code="decision_changed">decision of 判定适用范围 (Rule_Scope) changed after it ran</li>' in english
    assert "when: " in admin.get(f"/processes/{P}/versions?from=1&to=2").get_data(as_text=True)

    api = client.post(f"/api/v1/processes/{P}/migrations", headers=token_for("admin"), json={"to_version": 2}).json
    [check] = api["checks"]
    assert check["reasons"] == ["decision of 判定适用范围 (Rule_Scope) changed after it ran"]
    assert check["reason_details"][0]["code"] == "decision_changed"
    assert check["position_names"] == ["主管部门汇总审核"]
