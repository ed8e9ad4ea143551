"""Students per grade, active and archived side by side, painted with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.dashboard.summary import GradeCount

ACTIVE = QColor("#2f6fde")
ARCHIVED = QColor("#9fb3c8")
AXIS = QColor("#52606d")


class GradeChart(QWidget):
    """A grouped bar chart; the accessible description carries the same numbers as text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradeChart")
        self.setAccessibleName("Students per grade, active and archived")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.grades: list[GradeCount] = []

    def set_grades(self, grades: list[GradeCount]) -> None:
        self.grades = list(grades)
        self.setAccessibleDescription(
            "; ".join(f"grade {g.grade}: {g.active} active, {g.archived} archived" for g in grades)
        )
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 170)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        area = QRectF(self.rect()).adjusted(metrics.horizontalAdvance("00000") + 8, line * 2, -8, -line * 1.6)
        painter.setPen(AXIS)
        if not self.grades:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No students yet")
            return
        self._legend(painter, line)
        top = max(max(g.active, g.archived) for g in self.grades) or 1
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        for fraction in (0.5, 1.0):
            y = area.bottom() - area.height() * fraction
            painter.drawText(
                QRectF(0, y - line / 2, area.left() - 6, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{round(top * fraction):,}",
            )
            painter.setPen(QColor("#d9e2ec"))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(AXIS)
        slot = area.width() / len(self.grades)
        bar = max(2.0, slot * 0.36)
        for index, grade in enumerate(self.grades):
            x = area.left() + slot * index + slot / 2
            for offset, value, color in ((-bar, grade.active, ACTIVE), (0.0, grade.archived, ARCHIVED)):
                height = area.height() * value / top
                painter.fillRect(QRectF(x + offset, area.bottom() - height, bar, height), color)
            painter.drawText(
                QRectF(x - slot / 2, area.bottom() + 2, slot, line),
                Qt.AlignmentFlag.AlignHCenter,
                grade.grade,
            )

    def _legend(self, painter: QPainter, line: int) -> None:
        x = 8.0
        for text, color in (("Active", ACTIVE), ("Archived", ARCHIVED)):
            painter.fillRect(QRectF(x, 4 + line * 0.2, line * 0.7, line * 0.7), color)
            x += line
            painter.drawText(QRectF(x, 4, 200, line), Qt.AlignmentFlag.AlignLeft, text)
            x += QFontMetrics(self.font()).horizontalAdvance(text) + line
