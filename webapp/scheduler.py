"""Run due timers in the app process: APScheduler calls one engine job every few seconds."""

from __future__ import annotations

import atexit
import logging
import os

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from engine import Conflict, delivery, reminders, timers, unit_of_work

__all__ = ["fire_timers_job", "init_scheduler", "notify_job", "should_start"]

logger = logging.getLogger(__name__)


def should_start(app: Flask) -> bool:
    """Tell whether this process runs the timer job: enabled, not testing, not the reloader's parent."""
    if not app.config.get("SCHEDULER_ENABLED", True) or app.testing:
        return False
    # With the reloader, the parent only watches files; the child (WERKZEUG_RUN_MAIN=true) serves.
    return not app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def fire_timers_job(app: Flask) -> list[str]:
    """Fire every due timer in one unit of work; several app processes never fire one twice (SKIP LOCKED)."""
    with unit_of_work(app.extensions["govflow.sessions"]) as session:
        fired = timers.fire_due_timers(app.extensions["govflow.engine"], session)
    if fired:
        logger.info("fired timers of %d instance(s)", len(fired))
    return fired


def notify_job(app: Flask) -> delivery.DeliveryReport:
    """Write due reminders and today's digests in one unit of work, then send due e-mails, each exactly once."""
    engine, sessions = app.extensions["govflow.engine"], app.extensions["govflow.sessions"]
    try:
        with unit_of_work(sessions) as session:
            reminded = reminders.remind_due_tasks(engine, session)
            digests = reminders.queue_digests(engine, session)
        if reminded or digests:
            logger.info("reminded of %d task(s), queued %d digest(s)", len(reminded), len(digests))
    except Conflict:
        # Another process wrote the same reminders first (SQLite lets one writer through); the next tick
        # finds whatever is left. Mail already queued is still sent below.
        logger.info("reminders left to another process this time")
    try:
        report = delivery.deliver_due_mail(engine, sessions)
    except Conflict:
        logger.info("e-mail claims left to another process this time")
        return delivery.DeliveryReport()
    if report.sent or report.retrying or report.failed:
        logger.info("e-mail: %d sent, %d to retry, %d given up", report.sent, report.retrying, report.failed)
    return report


def _stop(scheduler: BackgroundScheduler) -> None:
    if scheduler.running:  # a test or an embedding host may have stopped it already
        scheduler.shutdown(wait=False)


def init_scheduler(app: Flask) -> BackgroundScheduler | None:
    """Start the background scheduler when this process should run timers."""
    if not should_start(app):
        return None
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(fire_timers_job, "interval", args=[app], seconds=app.config["TIMER_INTERVAL_SECONDS"],
                      id="fire-due-timers", max_instances=1, coalesce=True)
    scheduler.add_job(notify_job, "interval", args=[app], seconds=app.config["NOTIFY_INTERVAL_SECONDS"],
                      id="notify", max_instances=1, coalesce=True)
    scheduler.start()
    atexit.register(_stop, scheduler)
    app.extensions["govflow.scheduler"] = scheduler
    return scheduler
