"""Notifications: who hears of a task and how, due reminders once per task and kind, the digest, and delivery
to a real SMTP server on loopback (once each, retried after a refusal, a dead process's claim taken over)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import Conflict, Engine, FakeClock, InvalidInput, NotFound, Settings
from engine.settings import SmtpSettings
from engine.store.messaging import MailMessage, Notification
from engine.tools.testing import TESTER
from engine.usecases import delivery, notifications, reminders, tasks
from engine.usecases.access import Actor
from engine.usecases.instances import start_project
from engine.usecases.users import create_user

from ..mailserver import MailServer, mail_server  # noqa: F401 (a fixture)
from .helpers import deploy_smoke, unit

ALICE = Actor("alice", groups=frozenset({"smoke:applicant"}))
BOB = Actor("bob", groups=frozenset({"smoke:applicant"}))
CAROL = Actor("carol", groups=frozenset({"smoke:data_bureau"}))


@pytest.fixture
def mailer(database_url: str, clock: FakeClock, mail_server: MailServer) -> Engine:  # noqa: F811
    """Return an engine that mails through the loopback server."""
    smtp = SmtpSettings(host=mail_server.host, port=mail_server.port, sender="govflow@example.org",
                        public_url="https://govflow.example.org")
    return Engine(Settings(database_url=database_url, smtp=smtp), clock=clock)


@pytest.fixture
def smoke(mailer: Engine, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Deploy the smoke bundle and create three clerks; alice and carol have e-mail addresses."""
    deploy_smoke(mailer, sessions)
    with unit(sessions) as session:
        create_user(mailer, session, "alice", "password1", groups=["smoke:applicant"], email="alice@example.org")
        create_user(mailer, session, "bob", "password1", groups=["smoke:applicant"])
        create_user(mailer, session, "carol", "password1", groups=["smoke:data_bureau"], email="carol@example.org")
        create_user(mailer, session, "boss", "password1", groups=["smoke:applicant"], role="admin",
                    email="boss@example.org")
    yield sessions


def _notices(session: Session, username: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.username == username)
                                .order_by(Notification.id)))


def _ready(session: Session, actor: Actor, instance_id: str) -> str:
    return tasks.instance_tasks(session, actor, instance_id)[0].id


def test_a_new_task_reaches_its_groups_clerks_in_the_app_and_by_mail(mailer: Engine,
                                                                    smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        started = start_project(mailer, session, TESTER, "smoke_acceptance")
    with unit(smoke) as session:
        alice, bob = _notices(session, "alice"), _notices(session, "bob")
        assert [(n.kind, n.project, n.step) for n in alice] == [("new_task", "验收示例", "提交验收申请")]
        assert [n.kind for n in bob] == ["new_task"]
        assert not _notices(session, "carol") and not _notices(session, "boss")  # other group; administrators
        mails = list(session.scalars(select(MailMessage)))
        assert [(m.address, m.status) for m in mails] == [("alice@example.org", "pending")]  # bob has no address
        assert "「验收示例」的「提交验收申请」" in mails[0].body and started.id not in mails[0].body
        assert "https://govflow.example.org/tasks/" in mails[0].body


def test_a_step_coming_back_is_returned_to_whoever_did_it(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        started = start_project(mailer, session, TESTER, "smoke_acceptance")
    for actor, data in ((ALICE, {"confirmed": True}), (CAROL, {"passed": False}),
                        (BOB, {"rectificationNote": "补充材料"})):
        with unit(smoke) as session:
            tasks.complete(mailer, session, actor, _ready(session, actor, started.id), data)
    with unit(smoke) as session:
        # Carol accepted before: the acceptance coming back after the rectification is hers again.
        assert [(n.kind, n.step) for n in _notices(session, "carol")] == [("new_task", "验收"), ("returned", "验收")]
        assert [(n.kind, n.step) for n in _notices(session, "alice")] == [("new_task", "提交验收申请"),
                                                                         ("new_task", "整改")]


def test_assigning_tells_the_assignee_once(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    boss = Actor("boss", role="admin")
    with unit(smoke) as session:
        started = start_project(mailer, session, TESTER, "smoke_acceptance")
        task_id = _ready(session, ALICE, started.id)
    for assignee in ("bob", None, "bob"):
        with unit(smoke) as session:
            tasks.assign(mailer, session, boss, task_id, assignee)
    with unit(smoke) as session:
        assert [n.kind for n in _notices(session, "bob")] == ["new_task", "assigned"]


def test_preferences_choose_kinds_channels_and_the_digest(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        assert notifications.get_preferences(session, ALICE).email == notifications.KINDS
        with pytest.raises(InvalidInput) as bad:
            notifications.set_preferences(mailer, session, ALICE, notifications.Preferences(
                in_app=("sometimes",), address="not an address"))
        assert {e.field for e in bad.value.errors} == {"in_app", "address"}
        with pytest.raises(InvalidInput):
            notifications.set_preferences(mailer, session, BOB, notifications.Preferences(digest=True))
        saved = notifications.set_preferences(mailer, session, ALICE, notifications.Preferences(
            in_app=("overdue",), email=("new_task",), digest=True, address=" alice@new.example.org "))
        assert saved == notifications.Preferences(("overdue",), ("new_task",), True, "alice@new.example.org")
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke_acceptance")
    with unit(smoke) as session:
        [notice] = _notices(session, "alice")
        assert not notice.in_app and notice.digest_pending  # mailed in the digest, not shown in the app
        assert notifications.list_notices(session, ALICE).items == ()
        assert session.scalars(select(MailMessage)).all() == []  # no immediate e-mail


def test_a_reader_sees_and_marks_only_their_own_notices(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke_acceptance")
        start_project(mailer, session, TESTER, "smoke_acceptance")
    with unit(smoke) as session:
        page = notifications.list_notices(session, ALICE)
        assert (page.unread, page.total) == (2, 2)
        bobs = notifications.list_notices(session, BOB).items[0]
        with pytest.raises(NotFound):
            notifications.mark_read(mailer, session, ALICE, bobs.id)
        assert notifications.mark_read(mailer, session, ALICE, page.items[0].id).read
        assert notifications.unread_count(session, ALICE) == 1
        assert notifications.mark_all_read(mailer, session, ALICE) == 1
        assert notifications.unread_count(session, ALICE) == 0 and notifications.unread_count(session, BOB) == 2


def test_due_soon_and_overdue_reminders_go_out_once_per_task_and_kind(mailer: Engine,
                                                                     smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        started = start_project(mailer, session, TESTER, "smoke")
        due = tasks.instance_tasks(session, ALICE, started.id)[0].due_at
    assert due is not None
    with unit(smoke) as session:
        assert reminders.remind_due_tasks(mailer, session, due - timedelta(days=4)) == []
        assert [kind for _, kind in reminders.remind_due_tasks(mailer, session, due - timedelta(days=2))] == ["due_soon"]
        assert reminders.remind_due_tasks(mailer, session, due - timedelta(days=1)) == []
        assert [kind for _, kind in reminders.remind_due_tasks(mailer, session, due + timedelta(hours=1))] == ["overdue"]
        assert reminders.remind_due_tasks(mailer, session, due + timedelta(days=3)) == []
    with unit(smoke) as session:
        assert [n.kind for n in _notices(session, "alice")] == ["new_task", "due_soon", "overdue"]
        overdue = session.scalars(select(MailMessage).where(MailMessage.subject.contains("已逾期"))).one()
        assert "「冒烟」的「申报」已逾期（截止 2025-10-" in overdue.body  # the last day, in words and a date


def test_two_schedulers_remind_of_a_task_once(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        started = start_project(mailer, session, TESTER, "smoke")
        due = tasks.instance_tasks(session, ALICE, started.id)[0].due_at
    assert due is not None
    results: list[object] = []
    barrier = threading.Barrier(2)

    def scan() -> None:
        barrier.wait()
        try:
            with unit(smoke) as session:
                results.append(reminders.remind_due_tasks(mailer, session, due + timedelta(hours=1)))
        except Conflict:
            results.append([])  # SQLite lets one writer through; the other tries again next tick

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with unit(smoke) as session:
        results.append(reminders.remind_due_tasks(mailer, session, due + timedelta(hours=2)))
        assert sum(len(r) for r in results if isinstance(r, list)) == 1
        assert [n.kind for n in _notices(session, "alice")] == ["new_task", "overdue"]


def test_mail_arrives_once_and_a_refusal_is_retried_with_backoff(mailer: Engine, smoke: sessionmaker[Session],
                                                                mail_server: MailServer) -> None:  # noqa: F811
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke_acceptance")
    mail_server.refusing = True
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport(retrying=1)
    assert mail_server.received == []
    mail_server.refusing = False
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport()  # waits out its backoff
    assert isinstance(mailer.clock, FakeClock)
    mailer.clock.advance(delivery.backoff(1))
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport(sent=1)
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport()
    [message] = mail_server.to("alice@example.org")
    assert message["From"] == "govflow@example.org" and "验收示例" in message["Subject"]
    body = message.get_content()
    assert "「验收示例」的「提交验收申请」已到达您所在的办理组" in body and "has reached your group" in body
    with unit(smoke) as session:
        row = session.scalars(select(MailMessage)).one()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_claim_whose_process_died_is_taken_over_after_its_lease(mailer: Engine, smoke: sessionmaker[Session],
                                                                 mail_server: MailServer) -> None:  # noqa: F811
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke_acceptance")
    with unit(smoke) as session:
        assert len(delivery.claim_mail(session, mailer.now(), "dead-process")) == 1  # then it dies unsent
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport()
    assert isinstance(mailer.clock, FakeClock)
    mailer.clock.advance(delivery.LEASE + timedelta(seconds=1))
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport(sent=1)
    assert len(mail_server.received) == 1
    with unit(smoke) as session:
        assert not delivery.record_sent(session, 1, "dead-process", mailer.now())  # its claim is gone


def test_mail_that_keeps_failing_is_given_up(mailer: Engine, smoke: sessionmaker[Session],
                                             mail_server: MailServer) -> None:  # noqa: F811
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke_acceptance")
    mail_server.refusing = True
    assert isinstance(mailer.clock, FakeClock)
    reports = []
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        reports.append(delivery.deliver_due_mail(mailer, smoke))
        mailer.clock.advance(delivery.backoff(attempt))
    assert reports[-1] == delivery.DeliveryReport(failed=1)
    assert delivery.deliver_due_mail(mailer, smoke) == delivery.DeliveryReport()
    with unit(smoke) as session:
        row = session.scalars(select(MailMessage)).one()
        assert row.status == "failed" and "451" in (row.last_error or "")


def test_the_daily_digest_collects_waiting_notices_once_a_day(mailer: Engine, smoke: sessionmaker[Session],
                                                              mail_server: MailServer) -> None:  # noqa: F811
    with unit(smoke) as session:
        notifications.set_preferences(mailer, session, ALICE, notifications.Preferences(
            digest=True, address="alice@example.org"))
        start_project(mailer, session, TESTER, "smoke_acceptance")
        start_project(mailer, session, TESTER, "smoke")
    assert isinstance(mailer.clock, FakeClock)
    early = datetime.fromisoformat("2025-10-01T07:59:00+08:00")
    with unit(smoke) as session:
        assert reminders.queue_digests(mailer, session, early) == []  # before the digest hour
        assert reminders.queue_digests(mailer, session, early + timedelta(minutes=1)) == ["alice"]
        assert reminders.queue_digests(mailer, session, early + timedelta(hours=3)) == []
    mailer.clock.set(early + timedelta(minutes=2))
    assert delivery.deliver_due_mail(mailer, smoke).sent == 1
    [digest] = mail_server.to("alice@example.org")
    assert "2025-10-01" in digest["Subject"]
    body = digest.get_content()
    assert "共 2 条" in body and "1. 「验收示例」的「提交验收申请」" in body and "2. 「冒烟」的「申报」" in body
    assert "2 in all" in body
    with unit(smoke) as session:
        start_project(mailer, session, TESTER, "smoke")  # after today's digest: waits for tomorrow's
        assert reminders.queue_digests(mailer, session, early + timedelta(hours=4)) == []
        assert reminders.queue_digests(mailer, session, early + timedelta(days=1, minutes=1)) == ["alice"]


def test_without_a_mail_server_nothing_is_queued(engine: Engine, sessions: sessionmaker[Session]) -> None:
    assert not engine.settings.smtp.enabled
    deploy_smoke(engine, sessions)
    with unit(sessions) as session:
        create_user(engine, session, "alice", "password1", groups=["smoke:applicant"], email="alice@example.org")
        start_project(engine, session, TESTER, "smoke_acceptance")
    with unit(sessions) as session:
        assert [n.kind for n in _notices(session, "alice")] == ["new_task"]
        assert session.scalars(select(MailMessage)).all() == []
    assert delivery.deliver_due_mail(engine, sessions) == delivery.DeliveryReport()


def test_smtp_settings_come_from_the_environment_and_are_checked() -> None:
    smtp = SmtpSettings.from_env({"GOVFLOW_SMTP_HOST": "mail.example.org", "GOVFLOW_SMTP_PORT": "587",
                                  "GOVFLOW_SMTP_STARTTLS": "true", "GOVFLOW_SMTP_FROM": "noreply@example.org",
                                  "GOVFLOW_SMTP_USER": "u", "GOVFLOW_SMTP_PASSWORD": "s3cret"})
    assert replace(smtp, password="") == SmtpSettings("mail.example.org", 587, "u", "", "noreply@example.org", True)
    assert smtp.enabled and smtp.password == "s3cret" and "s3cret" not in repr(smtp)
    assert not SmtpSettings.from_env({}).enabled
    for bad in ({"GOVFLOW_SMTP_PORT": "x"}, {"GOVFLOW_SMTP_STARTTLS": "maybe"}, {"GOVFLOW_DIGEST_HOUR": "24"},
                {"GOVFLOW_SMTP_HOST": "h", "GOVFLOW_SMTP_FROM": "nobody"}):
        with pytest.raises(ValueError):
            SmtpSettings.from_env(bad)


def test_one_run_sends_batch_after_batch(mailer: Engine, smoke: sessionmaker[Session],
                                         mail_server: MailServer) -> None:  # noqa: F811
    with unit(smoke) as session:
        for _ in range(5):
            start_project(mailer, session, TESTER, "smoke_acceptance")
    assert delivery.deliver_due_mail(mailer, smoke, limit=2, rounds=2) == delivery.DeliveryReport(sent=4)
    assert delivery.deliver_due_mail(mailer, smoke, limit=2) == delivery.DeliveryReport(sent=1)
    assert len(mail_server.to("alice@example.org")) == 5


def test_whoever_made_a_task_ready_is_not_told_of_it(mailer: Engine, smoke: sessionmaker[Session]) -> None:
    with unit(smoke) as session:
        start_project(mailer, session, replace(TESTER, username="alice"), "smoke_acceptance")
    with unit(smoke) as session:
        assert _notices(session, "alice") == [] and [n.kind for n in _notices(session, "bob")] == ["new_task"]
