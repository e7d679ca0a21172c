"""The leaders' dashboard page: who may see it, its tables in both languages, and the CSV export."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from engine import unit_of_work
from engine.usecases.users import DEMO_PASSWORD, create_user

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, csrf_of

APPLICANT = "qingyang_applicant_unit"


def _applications(login: Login, count: int, registered: int) -> None:
    """Start `count` Qingyang applications and register the first `registered` of them."""
    clerk = login(APPLICANT)
    for n in range(count):
        response = clerk.post("/start", data={"process": "qingyang_project", "business_key": f"QY-DASH-{n}",
                                              "csrf_token": csrf_of(clerk)})
        task = str(response.headers["Location"])
        if n < registered:
            done = clerk.post(task + "/complete", json=ANSWERS["Task_Register"],
                              headers={"X-CSRF-Token": csrf_of(clerk)})
            assert done.status_code == 200, done.get_data(as_text=True)


def _table(page: str, key: str) -> list[list[str]]:
    body = page.split(f'id="table-{key}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_clerks_are_refused_and_strangers_sent_to_sign_in(client: FlaskClient, login: Login) -> None:
    assert client.get("/dashboard").status_code == 302
    assert client.get("/dashboard/agencies.csv").status_code == 302
    for name in ("qingyang_data_bureau_member", "qingyang_applicant_unit"):  # a member; an applicant unit's leader
        clerk = login(name)
        assert clerk.get("/dashboard").status_code == 403
        assert clerk.get("/dashboard/stages.csv").status_code == 403
        assert "/dashboard" not in clerk.get("/").get_data(as_text=True)


def test_a_group_leader_sees_the_agency_they_lead(app: Flask, login: Login) -> None:
    _applications(login, 2, registered=1)
    leader = login("qingyang_supervising_department")
    page = leader.get("/dashboard").get_data(as_text=True)
    assert 'href="/dashboard"' in page
    assert _table(page, "agencies") == [["青阳县", "县直主管部门", "1", "0"]]
    assert _table(page, "stages") == [["青阳县", "主管部门汇总审核", "1"], ["青阳县", "填报项目基本情况", "1"]]


def test_process_owners_see_their_jurisdiction_only(app: Flask, login: Login) -> None:
    _applications(login, 3, registered=1)
    owner = login("qingyang_owner")
    page = owner.get("/dashboard").get_data(as_text=True)
    assert 'href="/dashboard"' in page and '<option value="qingyang"' in page and "青阳县" in page
    assert _table(page, "stages") == [["青阳县", "填报项目基本情况", "2"], ["青阳县", "主管部门汇总审核", "1"]]
    assert _table(page, "agencies") == [["青阳县", "项目建设单位", "2", "0"], ["青阳县", "县直主管部门", "1", "0"]]
    [handling] = _table(page, "handling")
    assert handling[:4] == ["青阳县", "项目建设单位", "2025-09", "1"] and handling[4] == handling[5] == "0.00"
    assert _table(page, "investment") == [["青阳县", "尚未确定", "3", "180.00"]]
    assert 'id="dashboard-data"' in page and "build/dashboard.js" in page
    assert owner.get("/dashboard?jurisdiction=datong").status_code == 404
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        create_user(app.extensions["govflow.engine"], session, "dt_owner", DEMO_PASSWORD, role="process_owner",
                    groups=["datong:data_bureau"])
    other = login("dt_owner")
    assert other.get("/dashboard?jurisdiction=qingyang").status_code == 404
    assert "青阳县" not in other.get("/dashboard").get_data(as_text=True)
    refused = owner.get("/dashboard?months=many")
    assert refused.status_code == 422
    assert owner.get("/dashboard?months=99").status_code == 422


def test_english_mode_is_complete(app: Flask, login: Login) -> None:
    _applications(login, 1, registered=0)
    admin = login("admin")
    admin.get("/lang/en")
    page = admin.get("/dashboard?jurisdiction=qingyang&months=12").get_data(as_text=True)
    for text in ("Dashboard", "Open tasks by agency", "Projects by stage", "Investment by plan year",
                 "Approvals and returns by month", "Last 12 months", "Export CSV", "Qingyang County", "Not yet set"):
        assert text in page, text
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
    assert not re.search(r"\b(dash|stage|jurisdiction)_[a-z_]+", visible)


def test_each_table_exports_as_csv_that_spreadsheets_open_in_chinese(app: Flask, login: Login) -> None:
    _applications(login, 2, registered=1)
    admin = login("admin")
    for table in ("agencies", "handling", "stages", "investment", "verdicts"):
        response = admin.get(f"/dashboard/{table}.csv?jurisdiction=qingyang&months=3")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith(f'attachment; filename="dashboard-{table}-qingyang')
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert rows[0][0] == "辖区"
        assert all(row[0] == "青阳县" for row in rows[1:])
        assert "qingyang:" not in response.data.decode("utf-8-sig")
    stages = admin.get("/dashboard/stages.csv").data.decode("utf-8-sig")
    assert stages.splitlines() == ["辖区,阶段,项目数", "青阳县,主管部门汇总审核,1", "青阳县,填报项目基本情况,1"]
    assert admin.get("/dashboard/secrets.csv").status_code == 404
