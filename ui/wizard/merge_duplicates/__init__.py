"""Step 6, Merge duplicate students: one page (`page`) and its parts, each in its own module.

- `pairs`: the list of candidate pairs (a lazily paged table) and its filters;
- `comparison`: both records side by side, the record to keep and the per-field choices;
- `page`: finding the pairs in the background, and staging a merge or dismissing a pair.

Which pairs are proposed, which record is kept by default, what a merge moves and the
sentence saying so are the core's (`connect_desktop.rollover.duplicates` and `.merge`).
"""

from ui.wizard.merge_duplicates.comparison import ComparisonView
from ui.wizard.merge_duplicates.page import MergeDuplicatesPage
from ui.wizard.merge_duplicates.pairs import PairFilter, PairSource

__all__ = ["ComparisonView", "MergeDuplicatesPage", "PairFilter", "PairSource"]
