"""Step 1, Download reports: XLSX copies of the account before anything changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from connect_desktop.reports import REPORTS, FileResult, Outcome, Policy, ReportBatch, Target
from connect_desktop.reports.atomic import FolderStamp
from connect_desktop.yearend.steps import StepSpec
from ui.dialog_dirs import start_dir
from ui.tasks import Progress, TaskContext, TaskHandle
from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.plan_page import buddy

RECOMMENDED = "archive"
OUTCOME_TEXT = {
    Outcome.WRITTEN: "Saved",
    Outcome.REPLACED: "Saved (replaced the older file)",
    Outcome.KEPT_BOTH: "Saved as a second copy",
    Outcome.SKIPPED: "Skipped (the older file was kept)",
    Outcome.FAILED: "Not saved",
}


def default_folder() -> Path:
    """Documents/Connect reports, or the home folder's when there is no Documents folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(documents) if documents else Path.home()
    return base / "Connect reports"


class ReportsPage(StepPage):
    explanation = (
        "Before anything changes, save copies of your data for your records. Each report is an "
        "Excel workbook; nothing is sent anywhere. The year-end archive holds every report in one "
        "workbook with a summary, so it is usually all you need."
    )

    open_url: Callable[[QUrl], bool] = staticmethod(QDesktopServices.openUrl)
    """Replaced in tests (opening a file manager is the desktop's business)."""

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        for row, (name, report) in enumerate(REPORTS.items()):
            title = report.title + ("  (recommended)" if name == RECOMMENDED else "")
            box = QCheckBox(title)
            box.setChecked(True)
            box.setAccessibleName(report.title)
            box.setAccessibleDescription(report.description)
            box.toggled.connect(lambda _on: self._update_buttons())
            self.checks[name] = box
            grid.addWidget(box, row, 0)
            grid.addWidget(label(report.description, "hint"), row, 1)
        self.folder = QLineEdit(str(default_folder()))
        self.folder.setAccessibleName("Folder for the reports")
        self.folder.textChanged.connect(lambda _t: self._update_buttons())
        self.choose = QPushButton("Choo&se…")
        self.choose.setAccessibleName("Choose folder")
        self.choose.clicked.connect(self.choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(buddy("Save &in:", self.folder))
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)

        self.export = QPushButton("&Export")
        self.export.setObjectName("primary")
        self.export.setAccessibleName("Export reports")
        self.export.clicked.connect(self.start_export)
        self.cancel = QPushButton("Cance&l")
        self.cancel.setAccessibleName("Cancel export")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_export)
        self.open_folder = QPushButton("&Open folder")
        self.open_folder.setAccessibleName("Open folder")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self.show_folder)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Export progress")
        self.bar.setTextVisible(True)
        self.bar.hide()
        self.status = label("", "hint")
        self.status.setAccessibleName("What happened")
        buttons = QHBoxLayout()
        buttons.addWidget(self.export)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.bar, 1)
        buttons.addWidget(self.open_folder)

        self.results = QTreeWidget()
        self.results.setAccessibleName("Saved files")
        self.results.setHeaderLabels(["Report", "Result", "File"])
        self.results.setRootIsDecorated(False)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.body.addLayout(grid)
        self.body.addLayout(folder_row)
        self.body.addLayout(buttons)
        self.body.addWidget(self.status)
        self.body.addWidget(self.results, 1)

        self.exists_box: QMessageBox | None = None
        self.task: TaskHandle[list[FileResult]] | None = None
        self.finished_results: list[FileResult] = []
        self._queue: list[Target] = []
        self._decided: dict[str, Policy] = {}
        self._batch: tuple[list[str], Path, FolderStamp | None] = ([], Path(), None)
        """The chosen reports, their folder, and its identity when it was checked."""
        self._written: list[FileResult] = []
        self._today = context.today()

    # -- choices ---------------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [name for name, box in self.checks.items() if box.isChecked()]

    def set_chosen(self, names: list[str]) -> None:
        for name, box in self.checks.items():
            box.setChecked(name in names)

    def target_folder(self) -> Path:
        return Path(self.folder.text().strip()).expanduser()

    def _update_buttons(self) -> None:
        busy = self.task is not None or self.exists_box is not None
        self.export.setEnabled(not busy and bool(self.chosen()) and bool(self.folder.text().strip()))
        self.cancel.setEnabled(self.task is not None)
        self.choose.setEnabled(not busy)

    def choose_folder(self) -> None:
        start = start_dir(self.target_folder())
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the reports", start)
        if chosen:
            self.folder.setText(chosen)

    def show_folder(self) -> None:
        """Open the folder in the file manager; where none answers, say where the files are."""
        folder = self.target_folder()
        if not self.open_url(QUrl.fromLocalFile(str(folder))):
            self.status.setText(
                f"No file manager opened the folder on this computer. Your reports are in {folder}"
            )

    # -- export ----------------------------------------------------------------------
    def start_export(self) -> None:
        names, folder = self.chosen(), self.target_folder()
        if not names:
            return
        cache = self.context.service.cache
        today = self._today = self.context.today()
        self.results.clear()
        self.finished_results = []
        self.open_folder.setEnabled(False)
        self.status.setText("Checking the folder…")
        self.export.setEnabled(False)

        def check(_ctx: TaskContext) -> tuple[list[Target], FolderStamp | None]:
            """Make and check the folder, and see which files are there already."""
            with ReportBatch(cache, folder, names, today=today) as batch:
                return batch.targets, batch.stamp

        self._batch = (names, folder, None)
        self.context.runner.run(
            check, on_success=self._targets_ready, on_failure=self._failed, name="report targets"
        )

    def _targets_ready(self, checked: tuple[list[Target], FolderStamp | None]) -> None:
        targets, stamp = checked
        names, folder, _ = self._batch
        self._batch = (names, folder, stamp)
        self._queue = [target for target in targets if target.exists]
        self._decided = {}
        self._ask_next()

    def _ask_next(self) -> None:
        """Ask about each file that exists (one dialog at a time), then export."""
        if not self._queue:
            self._run_export()
            return
        target = self._queue.pop(0)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("The file exists")
        box.setText(f"“{target.path.name}” is already in this folder.")
        box.setInformativeText(
            "Replace it with a new copy, keep both (the new one gets “(2)” in its name), or skip this report?"
        )
        replace = box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("&Keep both", QMessageBox.ButtonRole.AcceptRole)
        skip = box.addButton("&Skip", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(skip)
        choices: dict[QAbstractButton, Policy] = {
            replace: Policy.REPLACE,
            keep: Policy.KEEP_BOTH,
            skip: Policy.SKIP,
        }

        def answered(_result: int) -> None:
            self._decided[target.name] = choices.get(box.clickedButton(), Policy.SKIP)
            self.exists_box = None
            box.deleteLater()
            self._ask_next()

        box.finished.connect(answered)
        self.exists_box = box
        self._update_buttons()
        box.open()

    def _run_export(self) -> None:
        names, folder, stamp = self._batch
        decided = dict(self._decided)
        cache, today = self.context.service.cache, self._today
        written: list[FileResult] = []
        self._written = written

        def work(ctx: TaskContext) -> list[FileResult]:
            """Every file from one snapshot, however many pulls land meanwhile."""
            titles = [REPORTS[name].title for name in names]

            def announce(number: int) -> None:
                if number < len(titles):
                    ctx.progress.step(f"{titles[number]} ({number + 1} of {len(titles)})")

            def file_done(result: FileResult) -> None:
                written.append(result)
                announce(len(written))

            with ReportBatch(cache, folder, names, today=today, stamp=stamp) as batch:
                announce(0)
                return batch.write(decided, progress=ctx.progress, cancel=ctx.token, after_file=file_done)

        self.bar.setRange(0, 0)
        self.bar.show()
        self.status.setText("Exporting…")
        self.task = self.context.runner.run(
            work,
            on_success=self._exported,
            on_failure=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
            on_finished=self._finished,
            name="export reports",
        )
        self._update_buttons()

    def cancel_export(self) -> None:
        if self.task is not None:
            self.status.setText("Cancelling…")
            self.task.cancel()

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * (progress.fraction or 0)))
        else:
            self.bar.setRange(0, 0)
        self.bar.setFormat(f"{progress.label} · %p%" if progress.total else progress.label)
        self.status.setText(f"Exporting {progress.label}…")

    def _show_results(self, results: list[FileResult]) -> None:
        self.results.clear()
        for result in results:
            shown = str(result.path) if result.path is not None else result.message
            item = QTreeWidgetItem([result.title, OUTCOME_TEXT[result.outcome], shown])
            item.setToolTip(2, result.message or shown)
            item.setData(0, Qt.ItemDataRole.UserRole, result.name)
            self.results.addTopLevelItem(item)

    def _exported(self, results: list[FileResult]) -> None:
        self.finished_results = list(results)
        self._show_results(results)
        saved = [r for r in results if r.outcome.saved]
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        skipped = any(r.outcome is Outcome.SKIPPED for r in results)
        folder = self._batch[1]
        text = f"{len(saved)} report{'s' if len(saved) != 1 else ''} saved in {folder}."
        if failed:
            text += f" {len(failed)} could not be saved: {failed[0].message}"
        self.status.setText(text)
        self.open_folder.setEnabled(bool(saved) or skipped)
        if saved or skipped:
            when = self._today.isoformat()
            self.context.step_done("reports", f"Reports saved in {folder} on {when}")
            self.context.bridge.info(text)

    def _cancelled(self) -> None:
        done = list(self._written)
        self.finished_results = done
        self._show_results(done)
        self.status.setText(
            "Export cancelled. The report that was being written was not saved"
            + (f"; {len(done)} finished before are in the folder." if done else ".")
        )
        self.open_folder.setEnabled(bool(done))

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("")
        self.context.reporter.report(exc)

    def _finished(self) -> None:
        self.task = None
        self.bar.hide()
        self._update_buttons()

    def leave_page(self) -> None:
        if self.task is not None:
            self.task.cancel()


__all__ = ["ReportsPage", "default_folder"]
