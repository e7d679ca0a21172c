"""Project list pages and GET /api/v1/projects: scoped, filtered, paged, in Chinese and English."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from engine import FakeClock

from ..jurisdictions.test_qingyang_process import ANSWERS
from .conftest import Login, Tokens, csrf_of

APPLICANT = "qingyang_applicant_unit"


def _start(clerk: FlaskClient, key: str) -> str:
    response = clerk.post("/start", data={"process": "qingyang_project", "business_key": key,
                                          "csrf_token": csrf_of(clerk)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def _register(clerk: FlaskClient, task_path: str, **changes: object) -> None:
    done = clerk.post(task_path + "/complete", json={**ANSWERS["Task_Register"], **changes},
                      headers={"X-CSRF-Token": csrf_of(clerk)})
    assert done.status_code == 200, done.json


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _rows(page: str) -> list[str]:
    return re.findall(r'data-instance="([0-9a-f]{32})"', page)


def test_an_applicant_finds_their_project_after_their_task_is_done(login: Login) -> None:
    clerk = login(APPLICANT)
    _register(clerk, _start(clerk, "QY-P-1"), projectName="青阳县智慧水务平台", investmentWan=180.5)
    page = clerk.get("/projects/mine")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert len(_rows(html)) == 1
    for text in ("我的项目", "青阳县智慧水务平台", "QY-P-1", "180.50", "县直主管部门", "主管部门汇总审核", "办理中"):
        assert text in html, text
    shown = _visible(html[html.index('id="project-filters"'):html.index('<p class="pager">')])
    assert not re.search(r"[A-Za-z_]+[_:][A-Za-z_]+", shown), shown  # names in words, never ids
    assert 'href="/projects/mine"' in html and 'href="/projects/handled"' in html
    assert 'href="/projects/"' not in html  # an applicant clerk oversees no jurisdiction
    handled = clerk.get("/projects/handled").get_data(as_text=True)
    assert "QY-P-1" in handled
    [instance_id] = _rows(html)
    other = login("qingyang_other_applicant")
    assert _rows(other.get("/projects/mine").get_data(as_text=True)) == []
    assert _rows(other.get("/projects/").get_data(as_text=True)) == []
    assert other.get(f"/instances/{instance_id}").status_code == 404
    reviewer = login("qingyang_supervising_department")  # the project is on this agency's desk now
    overseen = reviewer.get("/projects/").get_data(as_text=True)
    assert _rows(overseen) == [instance_id] and "全部项目" in overseen and "青阳县政务信息化项目全周期" in overseen
    assert reviewer.get(f"/instances/{instance_id}").status_code == 200
    assert _rows(reviewer.get("/projects/handled").get_data(as_text=True)) == []
    later = login("qingyang_data_bureau")  # not reached yet: neither listed nor open
    assert _rows(later.get("/projects/").get_data(as_text=True)) == []
    assert later.get(f"/instances/{instance_id}").status_code == 404
    assert _rows(login("qingyang_owner").get("/projects/").get_data(as_text=True)) == [instance_id]


def test_filters_keep_their_values_and_a_bad_amount_names_the_field(login: Login, clock: FakeClock) -> None:
    clerk = login(APPLICANT)
    for key, amount in (("QY-P-1", 180.5), ("QY-P-2", 600), ("QY-P-3", 99.99)):
        _register(clerk, _start(clerk, key), investmentWan=amount, projectName=f"项目{key}")
        clock.advance(timedelta(minutes=1))  # newest first is then QY-P-3, QY-P-2, QY-P-1
    page = clerk.get("/projects/mine?amount_min=99.99&amount_max=180.50&sort=amount&bundle=&stage=")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("QY-P-1") < html.index("QY-P-3") and "QY-P-2" not in html
    assert 'value="99.99"' in html and '<option value="amount" selected' in html
    bad = clerk.get("/projects/mine?amount_min=1.005")
    assert bad.status_code == 422
    assert 'data-field="amount_min"' in bad.get_data(as_text=True) and "最多保留 2 位小数" in bad.get_data(as_text=True)
    paged = clerk.get("/projects/mine?per_page=2&sort=newest").get_data(as_text=True)
    assert len(_rows(paged)) == 2
    following = re.search(r'href="([^"]+)" rel="next"', paged)
    assert following is not None
    last = clerk.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(_rows(last)) == 1 and "QY-P-1" in last and "回到第一页" in last and 'rel="next"' not in last
    assert clerk.get("/projects/mine?after=garbage").status_code == 422


def test_english_mode_is_complete_on_the_project_list(login: Login) -> None:
    clerk = login(APPLICANT)
    _register(clerk, _start(clerk, "QY-P-1"))
    clerk.get("/lang/en")
    html = clerk.get("/projects/mine").get_data(as_text=True)
    for text in ("My projects", "Handled by me", "Stage", "Next step", "Plan year", "Amount (10,000 yuan)",
                 "Running", "Largest amount first"):
        assert text in html, text
    assert "我的项目" not in html and "金额" not in html


def test_the_api_lists_projects_with_exact_amounts_and_a_cursor(login: Login, token_for: Tokens,
                                                                 client: FlaskClient) -> None:
    clerk = login(APPLICANT)
    for key, amount in (("QY-P-1", 180.5), ("QY-P-2", 600)):
        _register(clerk, _start(clerk, key), investmentWan=amount)
    mine = client.get("/api/v1/projects?scope=mine&sort=amount&per_page=1", headers=token_for(APPLICANT))
    assert mine.status_code == 200
    [first] = mine.json["items"]
    assert (first["business_key"], first["amount"], first["next_agency"]) == ("QY-P-2", "600.00", "县直主管部门")
    after = client.get(f"/api/v1/projects?scope=mine&sort=amount&per_page=1&after={mine.json['next_cursor']}",
                       headers=token_for(APPLICANT))
    assert [p["business_key"] for p in after.json["items"]] == ["QY-P-1"] and after.json["next_cursor"] is None
    assert client.get("/api/v1/projects?scope=mine", headers=token_for("qingyang_other_applicant")).json["items"] == []
    wrong = client.get("/api/v1/projects?amount_max=abc", headers=token_for(APPLICANT))
    assert wrong.status_code == 422 and wrong.json["fields"][0]["field"] == "amount_max"
    assert client.get("/api/v1/projects").status_code == 401
    document = client.get("/api/v1/openapi.json").json
    assert "/api/v1/projects" in document["paths"]
