"""Word notification e-mails, in Chinese and then English, and put them in the outbox.

An e-mail names the project and the step in words, never an id; a link to the task is added when the
public address of the site is configured (GOVFLOW_PUBLIC_URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.deadlines import due_day
from engine.spiff.runtime import Engine
from engine.store.messaging import MailMessage, Notification

__all__ = ["digest_key", "last_day", "notice_line", "queue_digest_mail", "queue_notice_mail"]

# kind: (Chinese subject word, English subject word, Chinese sentence, English sentence)
_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "new_task": ("新任务", "New task", "「{project}」的「{step}」已到达您所在的办理组，请及时办理。",
                 "\u201c{step}\u201d of \u201c{project}\u201d has reached your group."),
    "assigned": ("交办", "Assigned to you", "「{project}」的「{step}」已交由您办理。",
                 "\u201c{step}\u201d of \u201c{project}\u201d was assigned to you."),
    "returned": ("退回", "Returned", "「{project}」的「{step}」已退回，请您重新办理。",
                 "\u201c{step}\u201d of \u201c{project}\u201d came back to you to be done again."),
    "due_soon": ("即将到期", "Due soon", "「{project}」的「{step}」即将到期（截止 {due}）。",
                 "\u201c{step}\u201d of \u201c{project}\u201d is due soon (last day {due})."),
    "overdue": ("已逾期", "Overdue", "「{project}」的「{step}」已逾期（截止 {due}）。",
                "\u201c{step}\u201d of \u201c{project}\u201d is overdue (last day {due})."),
}


def last_day(engine: Engine, due_at: datetime | None) -> date | None:
    """Return the last local day a task may be done on (its due moment is the following midnight)."""
    if due_at is None:
        return None
    return due_day(due_at, engine.now(), engine.settings.timezone).last_day  # the README's one date rule


def notice_line(engine: Engine, notice: Notification, english: bool = False) -> str:
    """Return the one sentence that tells a notice, in Chinese or English."""
    texts = _TEXTS[notice.kind]
    day = last_day(engine, notice.due_at)
    due = day.isoformat() if day else ("无期限" if not english else "none")
    return (texts[3] if english else texts[2]).format(project=notice.project, step=notice.step, due=due)


def _link(engine: Engine, path: str) -> str:
    base = engine.settings.smtp.public_url
    return f"{base}{path}" if base else ""


def _footer(engine: Engine) -> str:
    link = _link(engine, "/notifications/preferences")
    where = f"：{link}" if link else "（Govflow → 通知 → 通知设置）"
    where_en = f": {link}" if link else " (Govflow → Notifications → Preferences)"
    return f"\n--\n更改通知方式{where}\nChange what you are told and how{where_en}\n"


def queue_notice_mail(engine: Engine, session: Session, notice: Notification, address: str, now: datetime) -> None:
    """Put the e-mail of one notice in the outbox, to be sent by the delivery job."""
    texts = _TEXTS[notice.kind]
    link = _link(engine, f"/tasks/{notice.task_id}")
    zh, en = notice_line(engine, notice), notice_line(engine, notice, english=True)
    body = f"{zh}\n{f'办理：{link}' if link else ''}\n\n{en}\n{f'Open: {link}' if link else ''}\n" + _footer(engine)
    subject = f"[Govflow] {texts[0]} {texts[1]}：{notice.project} — {notice.step}"
    session.add(MailMessage(dedupe_key=f"notice:{notice.id}", username=notice.username, address=address,
                            subject=subject[:300], body=body, status="pending", attempts=0,
                            next_attempt_at=now, created_at=now))


def digest_key(username: str, day: date) -> str:
    """Return the outbox key of one person's digest of one day: a second digest of that day cannot be queued."""
    return f"digest:{username}:{day.isoformat()}"


def queue_digest_mail(engine: Engine, session: Session, username: str, address: str, day: date,
                      notices: Sequence[Notification], now: datetime) -> None:
    """Put one person's daily digest of `notices` in the outbox."""
    lines_zh = [f"{n + 1}. {notice_line(engine, notice)}" for n, notice in enumerate(notices)]
    lines_en = [f"{n + 1}. {notice_line(engine, notice, english=True)}" for n, notice in enumerate(notices)]
    link = _link(engine, "/notifications/")
    body = (f"{day.isoformat()} 通知摘要，共 {len(notices)} 条：\n" + "\n".join(lines_zh)
            + (f"\n查看全部：{link}" if link else "")
            + f"\n\nDaily digest of {day.isoformat()}, {len(notices)} in all:\n" + "\n".join(lines_en)
            + (f"\nSee all: {link}" if link else "") + "\n" + _footer(engine))
    subject = f"[Govflow] 每日通知摘要 Daily digest {day.isoformat()}（{len(notices)}）"
    session.add(MailMessage(dedupe_key=digest_key(username, day), username=username, address=address,
                            subject=subject, body=body, status="pending", attempts=0, next_attempt_at=now,
                            created_at=now))
