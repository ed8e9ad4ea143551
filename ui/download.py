"""The first download: a real progress bar with records, rate and time left, and Cancel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from ui.errors import ErrorReporter
from ui.tasks import Progress, TaskHandle, TaskRunner


def progress_text(progress: Progress) -> str:
    """ "12,000 of 50,000 records · 8,000 records a second · about 5 seconds left"."""
    parts = [
        f"{progress.done:,} of {progress.total:,} records" if progress.total else f"{progress.done:,} records"
    ]
    if progress.rate:
        parts.append(f"{progress.rate:,.0f} records a second")
    if progress.eta_s is not None and progress.total:
        seconds = int(progress.eta_s + 0.5)
        parts.append(
            f"about {seconds // 60} min {seconds % 60} s left" if seconds >= 60 else f"about {seconds} s left"
        )
    return " · ".join(parts)


class DownloadDialog(QDialog):
    """Runs `service.pull` in the background; `finished_ok` when the copy is complete."""

    finished_ok = Signal(object)

    def __init__(
        self, service: Any, runner: TaskRunner, reporter: ErrorReporter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Downloading your account")
        self.setObjectName("downloadDialog")
        self.setMinimumWidth(520)
        self._service = service
        self._runner = runner
        self._reporter = reporter
        self._task: TaskHandle[Any] | None = None
        title = QLabel("Downloading your account")
        title.setObjectName("pageTitle")
        intro = QLabel(
            "Connect Desktop keeps a copy of your account on this computer, so every step can show you "
            "exactly what would change. The first download takes a moment;"
            " later ones only fetch what changed."
        )
        intro.setObjectName("explanation")
        intro.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Download progress")
        self.bar.setRange(0, 0)
        self.detail = QLabel("Connecting…")
        self.detail.setObjectName("hint")
        self.detail.setAccessibleName("Records, speed and time left")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel download")
        cancel.setAutoDefault(False)  # Enter must not stop the download: only a click or Escape
        cancel.setDefault(False)
        self.buttons.rejected.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.bar)
        layout.addWidget(self.detail)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        service = self._service
        self._task = self._runner.run(
            lambda ctx: service.pull(progress=ctx.progress, cancel=ctx.token),
            on_success=self._done,
            on_failure=self._failed,
            on_progress=self.show_progress,
            on_cancelled=self._cancelled,
            name="first download",
        )

    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        self.detail.setText(progress_text(progress))

    def cancel(self) -> None:
        if self._task is not None and not self._task.done:
            self.detail.setText("Stopping… what was downloaded so far is kept.")
            self._task.cancel()
        else:
            self.reject()

    def _done(self, result: Any) -> None:
        if getattr(result, "cancelled", False):
            self._cancelled()
            return
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.finished_ok.emit(result)
        self.accept()

    def _cancelled(self) -> None:
        self.detail.setText("Download stopped. It continues where it stopped next time.")
        self.reject()

    def _failed(self, exc: BaseException) -> None:
        self._reporter.report(exc)
        self.reject()
