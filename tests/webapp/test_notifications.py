"""The notification centre: the bell, the list, marking read, preferences, access, and e-mail sent once by two
app instances on one database through a real loopback SMTP server."""

from __future__ import annotations

import re
import threading

from flask import Flask
from flask.testing import FlaskClient

from engine import Conflict, Engine, FakeClock, Settings, unit_of_work
from engine.settings import SmtpSettings
from engine.tools.testing import TESTER
from engine.usecases import notifications
from engine.usecases.access import Actor
from engine.usecases.instances import start_project
from webapp import create_app
from webapp.scheduler import notify_job

from ..mailserver import MailServer, mail_server  # noqa: F401 (a fixture)
from .conftest import Login, Tokens, csrf_of

CLERK, OTHER = "smoke_applicant", "smoke_data_bureau"


def _start(app: Flask, process: str = "smoke_acceptance") -> str:
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        return start_project(app.extensions["govflow.engine"], session, TESTER, process).id


def _notice_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-notice="(\d+)"', page)]


def test_the_bell_counts_unread_notices_and_the_list_names_project_and_step(app: Flask, login: Login) -> None:
    clerk = login(CLERK)
    assert 'id="bell-count"' not in clerk.get("/").get_data(as_text=True)
    instance_id = _start(app)
    inbox = clerk.get("/").get_data(as_text=True)
    assert re.search(r'id="bell-count">1<', inbox) and "通知（1 条未读）" in inbox
    page = clerk.get("/notifications/").get_data(as_text=True)
    assert "「验收示例」的「提交验收申请」已到达您所在的办理组" in page and "新任务" in page
    assert instance_id not in page and "new_task" not in page.replace('class="badge new_task"', "")
    clerk.get("/lang/en", headers={"Referer": "http://localhost/notifications/"})
    english = clerk.get("/notifications/").get_data(as_text=True)
    assert "\u201c提交验收申请\u201d of \u201c验收示例\u201d has reached your group" in english
    assert "Mark all read" in english and "Notifications (1 unread)" in english
    preferences = clerk.get("/notifications/preferences").get_data(as_text=True)
    assert "Returned to me" in preferences and "daily digest" in preferences
    for text in (english, preferences):
        assert "notice_" not in text and not re.search(r"[\u4e00-\u9fff]", text.split("<main>")[1].replace(
            "提交验收申请", "").replace("验收示例", "").replace("建设单位", ""))  # only the bundle's own names
    assert 'id="bell-count"' not in login(OTHER).get("/").get_data(as_text=True)  # not their group's task


def test_opening_a_notice_marks_it_read_and_goes_to_its_task(app: Flask, login: Login) -> None:
    clerk = login(CLERK)
    _start(app)
    _start(app)
    first, second = _notice_ids(clerk.get("/notifications/").get_data(as_text=True))
    opened = clerk.post(f"/notifications/{first}/open", data={"csrf_token": csrf_of(clerk)})
    assert opened.status_code == 302 and "/tasks/" in opened.headers["Location"]
    assert clerk.get(opened.headers["Location"]).status_code == 200
    unread = clerk.get("/notifications/?unread=1").get_data(as_text=True)
    assert _notice_ids(unread) == [second]
    marked = clerk.post("/notifications/read-all", data={"csrf_token": csrf_of(clerk), "next": "/notifications/"})
    assert marked.status_code == 302
    assert _notice_ids(clerk.get("/notifications/?unread=1").get_data(as_text=True)) == []
    assert 'id="bell-count"' not in clerk.get("/notifications/").get_data(as_text=True)


def test_a_person_sees_and_marks_only_their_own_notices(app: Flask, login: Login) -> None:
    _start(app)
    [notice] = _notice_ids(login(CLERK).get("/notifications/").get_data(as_text=True))
    stranger = login(OTHER)
    assert _notice_ids(stranger.get("/notifications/").get_data(as_text=True)) == []
    for action in ("read", "open"):
        response = stranger.post(f"/notifications/{notice}/{action}", data={"csrf_token": csrf_of(stranger)})
        assert response.status_code == 404
        assert "验收示例" not in response.get_data(as_text=True)  # nothing of the notice leaks
    admin = login("admin")  # administrators see every task, yet not other people's notices
    assert admin.post(f"/notifications/{notice}/read", data={"csrf_token": csrf_of(admin)}).status_code == 404
    assert re.search(r'id="bell-count">1<', login(CLERK).get("/").get_data(as_text=True))


def test_preferences_are_saved_and_bad_input_names_the_field(app: Flask, login: Login) -> None:
    clerk = login(CLERK)
    page = clerk.get("/notifications/preferences").get_data(as_text=True)
    assert "通知设置" in page and "退回给我" in page and "尚未配置邮件服务器" in page
    bad = clerk.post("/notifications/preferences", data={"csrf_token": csrf_of(clerk), "in_app": ["overdue"],
                                                         "address": "not-an-address"})
    assert bad.status_code == 422 and "请填写有效的电子邮箱地址" in bad.get_data(as_text=True)
    no_address = clerk.post("/notifications/preferences", data={"csrf_token": csrf_of(clerk), "digest": "1"})
    assert no_address.status_code == 422 and "每日摘要需要填写电子邮箱" in no_address.get_data(as_text=True)
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        assert notifications.get_preferences(session, Actor(CLERK)) == notifications.Preferences()  # unchanged
    saved = clerk.post("/notifications/preferences", data={
        "csrf_token": csrf_of(clerk), "in_app": ["overdue", "returned"], "email": ["new_task"], "digest": "1",
        "address": "clerk@example.org"})
    assert saved.status_code == 302
    again = clerk.get(saved.headers["Location"]).get_data(as_text=True)
    assert "通知设置已保存" in again and 'value="clerk@example.org"' in again
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        assert notifications.get_preferences(session, Actor(CLERK)) == notifications.Preferences(
            ("returned", "overdue"), ("new_task",), True, "clerk@example.org")
    _start(app)  # a new task is no longer shown in the app
    assert 'id="bell-count"' not in clerk.get("/").get_data(as_text=True)


def test_two_app_instances_deliver_each_email_once(app: Flask, database_url: str, clock: FakeClock,
                                                   mail_server: MailServer) -> None:  # noqa: F811
    smtp = SmtpSettings(host=mail_server.host, port=mail_server.port, sender="govflow@example.org")
    mailing = Engine(Settings(database_url=database_url, smtp=smtp), clock=clock)
    first, second = (create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
                                 "ENGINE": mailing}) for _ in range(2))
    with unit_of_work(first.extensions["govflow.sessions"]) as session:
        for username in (CLERK, "smoke_data_bureau"):
            notifications.set_preferences(mailing, session, Actor(username), notifications.Preferences(
                address=f"{username}@example.org"))
    for _ in range(6):
        _start(first)
    mail_server.refusing = True  # the first round fails: every message comes back for a retry
    assert notify_job(first).retrying == 6
    mail_server.refusing = False
    clock.advance(minutes=2)
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run(application: Flask) -> None:
        barrier.wait()
        for _ in range(3):  # a few ticks each, racing the other instance
            try:
                sent.append(notify_job(application).sent)
            except Conflict:
                sent.append(0)

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for application in (first, second):
        application.extensions["govflow.db"].dispose()
    assert sum(sent) == 6
    received = mail_server.to(f"{CLERK}@example.org")
    assert len(received) == 6 and len({m["Message-ID"] for m in received}) == 6
    assert mail_server.to("smoke_data_bureau@example.org") == []  # the tasks are the applicant group's


def test_the_api_lists_marks_and_sets_preferences_for_the_caller_only(app: Flask, client: FlaskClient,
                                                                      token_for: Tokens) -> None:
    _start(app)
    mine, theirs = token_for(CLERK), token_for(OTHER)
    page = client.get("/api/v1/notifications", headers=mine).json
    assert (page["unread"], page["total"]) == (1, 1)
    [notice] = page["items"]
    assert (notice["kind"], notice["project"], notice["step"], notice["read"]) == (
        "new_task", "验收示例", "提交验收申请", False)
    assert client.get("/api/v1/notifications", headers=theirs).json["total"] == 0
    assert client.post(f"/api/v1/notifications/{notice['id']}/read", headers=theirs).status_code == 404
    assert client.post(f"/api/v1/notifications/{notice['id']}/read", headers=mine).json["read"] is True
    assert client.get("/api/v1/notifications?unread=true", headers=mine).json["total"] == 0
    assert client.post("/api/v1/notifications/read", headers=mine).json == {"marked": 0}
    bad = client.put("/api/v1/notifications/preferences", headers=mine,
                     json={"in_app": ["sometimes"], "email": [], "digest": True, "address": None})
    assert bad.status_code == 422 and "in_app" in bad.get_data(as_text=True)
    no_address = client.put("/api/v1/notifications/preferences", headers=mine,
                            json={"in_app": [], "email": ["overdue"], "digest": True, "address": ""})
    assert no_address.status_code == 422 and [f["field"] for f in no_address.json["fields"]] == ["digest"]
    saved = client.put("/api/v1/notifications/preferences", headers=mine,
                       json={"in_app": ["overdue"], "email": ["overdue"], "digest": True, "address": "c@example.org"})
    assert saved.status_code == 200
    assert client.get("/api/v1/notifications/preferences", headers=mine).json == {
        "in_app": ["overdue"], "email": ["overdue"], "digest": True, "address": "c@example.org"}


def test_the_job_reminds_of_an_overdue_task_and_mails_it_once(app: Flask, database_url: str, clock: FakeClock,
                                                               mail_server: MailServer) -> None:  # noqa: F811
    smtp = SmtpSettings(host=mail_server.host, port=mail_server.port, sender="govflow@example.org",
                        public_url="https://govflow.example.org")
    mailing = Engine(Settings(database_url=database_url, smtp=smtp), clock=clock)
    job_app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x", "ENGINE": mailing})
    with unit_of_work(job_app.extensions["govflow.sessions"]) as session:
        notifications.set_preferences(mailing, session, Actor(CLERK), notifications.Preferences(
            in_app=notifications.KINDS, email=("overdue",), address="clerk@example.org"))
    _start(job_app, "smoke")
    clock.set("2025-10-20T09:00:00+08:00")  # past the task's last day
    assert notify_job(job_app).sent == 1
    assert notify_job(job_app).sent == 0
    job_app.extensions["govflow.db"].dispose()
    [mail] = mail_server.to("clerk@example.org")
    assert "已逾期" in mail["Subject"] and "Overdue" in mail["Subject"]
    body = mail.get_content()
    assert "「冒烟」的「申报」已逾期（截止 2025-10-" in body and "https://govflow.example.org/tasks/" in body
    assert "/notifications/preferences" in body
