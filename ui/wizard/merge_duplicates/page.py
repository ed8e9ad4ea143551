"""The Merge duplicates page: find the pairs in the background, list them, compare the one
selected, then stage its merge or remember that it is two different children."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.rollover.duplicates import BAND_TEXT, Band, Findings
from connect_desktop.rollover.merge import MergePreview
from connect_desktop.rollover.plan import PlanError
from connect_desktop.store.overview import FilterChoices
from connect_desktop.yearend.steps import StepSpec
from ui.dashboard.summary import Summary
from ui.models.lazy_table import LazyTableModel
from ui.tasks import Progress, TaskContext, TaskHandle
from ui.wizard.merge_duplicates.comparison import ComparisonView, SurvivorChoice
from ui.wizard.merge_duplicates.pairs import (
    COLUMNS,
    PairFilter,
    PairSource,
    fit_columns,
    pair_key,
    pairs_table,
)
from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.plan_page import buddy, fill, filter_combo


class MergeDuplicatesPage(StepPage):
    explanation = (
        "Students entered twice (a typo, a nickname, swapped names, a new record when they came back) show "
        "here as pairs. Compare both records, choose the one to keep, then merge: the other record's family "
        "contacts and classrooms move to it. “Check these” pairs are uncertain: decide yourself. A merge can "
        "be undone after sending."
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.findings: Findings | None = None
        self.source: PairSource | None = None
        self.preview: MergePreview | None = None
        self.finding: TaskHandle[Findings] | None = None
        self.hidden: set[str] = set()
        """Pairs merged or dismissed on this page since the last search."""
        self.gone: set[str] = set()
        """Records merged away on this page since the last search."""
        self.choices: FilterChoices | None = None
        self._found_with: Summary | None = None
        self._pair: tuple[str, str] | None = None
        self._generation = 0
        self._busy = False
        self._reselect = 0
        """The row to select once the list is shown again (the place after a pair left it)."""

        # -- filters and the search ------------------------------------------------------
        self.school = self._combo("School filter", "All schools")
        self.grade = self._combo("Grade filter", "All grades")
        self.band = self._combo("Confidence filter", "All pairs")
        for band in (Band.MATCH, Band.CHECK):
            self.band.addItem(BAND_TEXT[band], band.value)
        self.find_again = QPushButton("Find &again")
        self.find_again.setAccessibleName("Look for duplicate students again")
        self.find_again.clicked.connect(self.find_duplicates)
        filters = QHBoxLayout()
        filters.addWidget(buddy("Sch&ool:", self.school))
        filters.addWidget(self.school, 1)
        filters.addWidget(buddy("&Grade:", self.grade))
        filters.addWidget(self.grade)
        filters.addWidget(buddy("Con&fidence:", self.band))
        filters.addWidget(self.band)
        filters.addWidget(self.find_again)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Looking for duplicates")
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel = QPushButton("Cance&l")
        self.cancel.setAccessibleName("Stop looking for duplicates")
        self.cancel.clicked.connect(self.cancel_find)
        self.cancel.hide()
        self.status = label("", "hint")
        self.status.setAccessibleName("What was found")
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        status_row.addWidget(self.cancel)

        # -- the list, and the pair selected ---------------------------------------------
        self.model = LazyTableModel(COLUMNS, context.runner, page_size=200, parent=self)
        self.model.loadFailed.connect(context.reporter.report)
        self.model.countChanged.connect(self._counted)
        self.model.pageLoaded.connect(self._page_loaded)
        self.table = pairs_table()
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.survivor = SurvivorChoice()
        self.survivor.chosen.connect(self._survivor_chosen)
        self.comparison = ComparisonView()
        self.comparison.choices_changed.connect(self._describe)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.survivor)
        lower_layout.addWidget(self.comparison, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([160, 320])
        self.table.setMinimumHeight(90)
        lower.setMinimumHeight(140)

        # -- what will happen, and the two actions ---------------------------------------
        self.blocked = label("", "warningText")
        self.blocked.setAccessibleName("Why these two cannot be merged")
        self.blocked.hide()
        self.consequence = label("")
        self.consequence.setAccessibleName("What merging does")
        self.not_same = QPushButton("Not the &same child")
        self.not_same.setAccessibleName("Not the same child")
        self.not_same.setAccessibleDescription(
            "Remember that these are two children; the pair is not proposed again"
        )
        self.not_same.clicked.connect(self.dismiss)
        self.merge = QPushButton("&Merge")
        self.merge.setObjectName("primary")
        self.merge.setAccessibleName("Merge")
        self.merge.clicked.connect(self.stage)
        self.feedback = label("", "hint")
        self.feedback.setAccessibleName("What happened")
        actions = QHBoxLayout()
        actions.addWidget(self.consequence, 1)
        actions.addWidget(self.not_same, 0, Qt.AlignmentFlag.AlignBottom)
        actions.addWidget(self.merge, 0, Qt.AlignmentFlag.AlignBottom)

        self.body.addLayout(filters)
        self.body.addLayout(status_row)
        self.body.addWidget(self.splitter, 1)
        self.body.addWidget(self.blocked)
        self.body.addLayout(actions)
        self.body.addWidget(self.feedback)
        self.setTabOrder(self.school, self.grade)
        self.setTabOrder(self.grade, self.band)
        self.setTabOrder(self.band, self.find_again)
        self.setTabOrder(self.find_again, self.table)
        self.setTabOrder(self.table, self.survivor.first)
        self.setTabOrder(self.survivor.first, self.survivor.second)
        self.setTabOrder(self.survivor.second, self.comparison)
        self.setTabOrder(self.comparison, self.not_same)
        self.setTabOrder(self.not_same, self.merge)
        self._show_pair_actions()

    def _combo(self, name: str, all_text: str) -> QComboBox:
        return filter_combo(name, all_text, self.list_pairs)

    # -- finding ---------------------------------------------------------------------------
    def initialize_page(self) -> None:
        super().initialize_page()
        self._load_choices()
        if self.findings is None or self._found_with is not self.context.summary:
            self.find_duplicates()

    def _load_choices(self) -> None:
        if self.choices is not None:
            return
        service = self.context.service

        def done(choices: FilterChoices) -> None:
            self.choices = choices
            fill(self.school, choices.schools)
            fill(self.grade, [(g, "Kindergarten" if g == "K" else f"Grade {g}") for g in choices.grades])

        self.context.runner.op(lambda _ctx: service.filter_choices(), name="filter choices").success(
            done
        ).exclusive(self).run()

    @property
    def searching(self) -> bool:
        return self.finding is not None

    @property
    def settled(self) -> bool:
        """The search is over and the selected pair, if any, is shown side by side."""
        return (
            self.findings is not None
            and self._found_with is self.context.summary
            and not self.searching
            and (self._pair is None or self.preview is not None)
        )

    def find_duplicates(self) -> None:
        """Look for duplicate students in the background (seconds on a large district)."""
        if self.finding is not None:
            return
        service = self.context.service
        self._found_with = self.context.summary
        self.status.setText("Looking for students entered twice…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel.show()
        self.find_again.setEnabled(False)

        def work(ctx: TaskContext) -> Findings:
            return service.find_duplicates(
                progress=ctx.progress.on_progress, cancelled=ctx.token.is_cancelled
            )

        self.finding = self.context.runner.run(
            work,
            on_success=self._found,
            on_failure=self._find_failed,
            on_progress=self._find_progress,
            on_cancelled=self._find_cancelled,
            on_finished=self._find_ended,
            name="find duplicates",
        )

    def cancel_find(self) -> None:
        if self.finding is not None:
            self.finding.cancel()

    def _find_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)

    def _find_ended(self) -> None:
        self.finding = None
        self.progress.hide()
        self.cancel.hide()
        self.find_again.setEnabled(True)

    def _find_cancelled(self) -> None:
        self._found_with = None
        self.status.setText("Stopped. Press Find again to look for duplicates.")

    def _find_failed(self, exc: BaseException) -> None:
        self._found_with = None
        self.status.setText("")
        self.context.reporter.report(exc)

    def _found(self, findings: Findings) -> None:
        self.findings = findings
        self.hidden = set()
        self.gone = set()
        self.list_pairs()

    # -- the list --------------------------------------------------------------------------
    def pair_filter(self) -> PairFilter:
        def value(combo: QComboBox) -> str | None:
            return combo.currentData() or None

        return PairFilter(band=value(self.band), school_id=value(self.school), grade=value(self.grade))

    def list_pairs(self) -> None:
        """Show the pairs found that pass the filters (the first one selected)."""
        findings = self.findings
        self._select_pair(None)
        if findings is None:
            self.source = None
            self.model.set_source(None)
            return
        self.source = PairSource(findings, self.pair_filter(), self.hidden, self.gone)
        self.model.set_source(self.source)

    def _counted(self, total: int) -> None:
        findings = self.findings
        if findings is None:
            return
        match = sum(1 for p in findings.pairs if p.band == Band.MATCH)
        check = len(findings.pairs) - match
        found = (
            f"Found {len(findings.pairs):,} possible duplicate{'s' if len(findings.pairs) != 1 else ''}: "
            f"{match:,} likely the same child, {check:,} to check."
        )
        if not findings.pairs:
            found = "No duplicate students found."
        acted = f" {len(self.hidden):,} handled on this page." if self.hidden else ""
        everything = self.pair_filter() == PairFilter()
        shown = "" if everything else f" Showing {total:,}."
        self.status.setText(found + acted + shown)
        if everything and total == 0:  # nothing left to decide: the checklist says the step is done
            left = "No duplicate students found" if not findings.pairs else "Every possible duplicate decided"
            self.context.step_done(self.spec.step_id, f"{left} on {self.context.today():%Y-%m-%d}")

    def _page_loaded(self, loaded: int) -> None:
        if loaded and not self.table.selectionModel().hasSelection():
            fit_columns(self.table)
            self.table.selectRow(min(self._reselect, loaded - 1))
            self._reselect = 0

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.model.loaded:
            self._select_pair(None)
            return
        row = self.model.row(rows[0].row())
        self._select_pair((str(row[6]), str(row[7])))

    # -- the pair selected -----------------------------------------------------------------
    def _select_pair(self, pair: tuple[str, str] | None) -> None:
        self._generation += 1
        self._pair = pair
        self.preview = None
        self.survivor.clear()
        self._show_pair_actions()
        if pair is None:
            self.comparison.clear()
            return
        a, b = pair
        self.comparison.new_pair(a, b)
        self.comparison.clear("Reading both records…")
        service = self.context.service

        def work(_ctx: TaskContext) -> MergePreview:
            kept = service.default_survivor(a, b)
            return service.merge_preview(kept, b if kept == a else a)

        self._read_preview(work)

    def _survivor_chosen(self, survivor_id: str) -> None:
        pair, preview = self._pair, self.preview
        if pair is None or preview is None or survivor_id == preview.survivor.id:
            return
        merged_id = pair[1] if survivor_id == pair[0] else pair[0]
        service = self.context.service
        self._generation += 1
        self._read_preview(lambda _ctx: service.merge_preview(survivor_id, merged_id))

    def _read_preview(self, work: Any) -> None:
        generation = self._generation

        def done(preview: MergePreview) -> None:
            if generation == self._generation:
                self._show_preview(preview)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(exc, PlanError):
                self.comparison.clear(str(exc))
            else:
                self.context.reporter.report(exc)

        self.context.runner.run(work, on_success=done, on_failure=failed, name="merge preview")

    def _show_preview(self, preview: MergePreview) -> None:
        self.preview = preview
        self.comparison.show_preview(preview)
        self.survivor.show_pair(preview, self.comparison.order)
        self._show_pair_actions()

    def _describe(self) -> None:
        preview = self.preview
        if preview is not None and preview.blocked is None:
            self.consequence.setText(preview.describe(self.comparison.take()))

    def _show_pair_actions(self) -> None:
        """The sentence, the reason a merge is refused, and which buttons can be used."""
        preview = self.preview
        blocked = preview.blocked if preview is not None else None
        self.blocked.setText(blocked or "")
        self.blocked.setVisible(blocked is not None)
        can_merge = preview is not None and blocked is None and not self._busy
        self.merge.setEnabled(can_merge)
        reason = blocked or ("" if preview is not None else "Select a pair first.")
        self.merge.setToolTip(reason)
        self.merge.setAccessibleDescription(reason or "Add this merge to your changes (sent in step 7)")
        self.not_same.setEnabled(self._pair is not None and not self._busy)
        if preview is None:
            self.consequence.setText("")
        elif blocked is None:
            self._describe()
        else:
            self.consequence.setText("")

    # -- acting on the pair ----------------------------------------------------------------
    def stage(self) -> None:
        """Stage the merge shown (it goes to Review and send like every other change)."""
        preview = self.preview
        if preview is None or preview.blocked is not None or self._busy:
            return
        survivor_id, merged_id, take = preview.survivor.id, preview.merged.id, self.comparison.take()
        sentence = preview.describe(take)
        service = self.context.service
        self._set_busy(True)
        self.feedback.setText("Adding the merge to your changes…")

        def done(_count: int) -> None:
            self.feedback.setText(
                f"Added to your changes: {sentence} Nothing is sent until you review and send it (step 7)."
            )
            self.context.bridge.info("A merge of two students was added to your list")
            self.gone.add(merged_id)
            self._handled(survivor_id, merged_id)
            self.context.outbox_changed()

        self.context.runner.op(
            lambda _ctx: service.stage_merge(survivor_id, merged_id, take), name="stage merge"
        ).success(done).failure(self._act_failed).always(lambda: self._set_busy(False)).exclusive(self).run()

    def dismiss(self) -> None:
        """Remember that the pair is two children: it leaves the list and is not proposed again."""
        pair = self._pair
        if pair is None or self._busy:
            return
        a, b = pair
        labels = self.findings.labels if self.findings is not None else {}
        names = " and ".join(labels.get(i, "") for i in (a, b))
        service = self.context.service
        self._set_busy(True)

        def done(_none: None) -> None:
            self.feedback.setText(
                f"{names}: marked as two different children. This pair is not proposed again."
            )
            self._handled(a, b)

        self.context.runner.op(lambda _ctx: service.dismiss_pair(a, b), name="dismiss pair").success(
            done
        ).failure(self._act_failed).always(lambda: self._set_busy(False)).exclusive(self).run()

    def _handled(self, a: str, b: str) -> None:
        """Take the pair out of the list, keeping the place in it."""
        first, second = sorted((a, b))
        self.hidden.add(pair_key(first, second))
        self._reselect = max(self.table.currentIndex().row(), 0)
        self.list_pairs()

    def _act_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PlanError):
            self.feedback.setText(str(exc))
        else:
            self.feedback.setText("")
            self.context.reporter.report(exc)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_pair_actions()

    def release(self) -> None:
        self.cancel_find()
        self.model.set_source(None)
