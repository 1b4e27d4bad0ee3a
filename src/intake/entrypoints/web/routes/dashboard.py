"""ダッシュボード: the desk at a glance, and taking in the mailbox on demand."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from intake.bootstrap import ImapError, LockBusy
from intake.config import ConfigError
from intake.domain.labels import OUTCOME_LABELS
from intake.entrypoints.web.context import (
    console_of,
    now,
    redirect,
    render,
    settings_of,
)
from intake.services.views.desk import desk_status
from intake.services.views.selection import deadline_warnings


def dashboard(request: Request) -> Response:
    desk, settings, at = console_of(request).desk, settings_of(request), now(request)
    with desk.read() as q:
        status = desk_status(q, settings.terms, at)
    with desk.read_selection() as sq:
        selection = deadline_warnings(sq, settings.terms, at, settings.ack.closure_days)
    return render(
        request,
        "dashboard.html",
        {"overview": status, "selection_warnings": selection},
        active="dashboard",
    )


def poll_now(request: Request) -> Response:
    """One poll, as `intake poll --once` does it; refused while another poll is running."""
    desk = console_of(request).desk
    try:
        report = desk.poll()
    except LockBusy:
        return redirect(
            request,
            "/",
            flash="別の取り込み処理（intake run など）が実行中です。"
            "少し待ってから画面を更新してください。",
            kind="info",
        )
    except (ImapError, ConfigError) as exc:
        return redirect(request, "/", flash=f"取り込めませんでした。{exc}", kind="error")
    counts = "、".join(
        f"{label} {report.recorded[outcome.value]} 件"
        for outcome, label in OUTCOME_LABELS.items()
        if report.recorded[outcome.value]
    )
    message = f"取り込みました。新しいメール {report.new_records} 件" + (
        f"（{counts}）" if counts else ""
    )
    problems = len(report.failed) + len(report.mark_failures)
    if problems:
        message += f"。記録できなかったメールなどが {problems} 件あります（次回また試します）"
    return redirect(request, "/", flash=message, kind="error" if problems else "success")


routes: list[BaseRoute] = [
    Route("/", dashboard, methods=["GET"], name="dashboard"),
    Route("/poll", poll_now, methods=["POST"], name="poll"),
]
