"""The figure every sportsframe chart returns: one that shows itself in Jupyter as a PNG.

Its own module, so that a chart-making module low in the package (the efficiency report) can use
it without importing the notebook charts of :mod:`sportsframe.plots`, which read the facade.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["ChartFigure"]


class ChartFigure(Figure):
    """A Figure that shows itself in Jupyter as a PNG.

    The charts are built without pyplot (no global figure, nothing to close, no second copy
    shown at the end of a cell), so they do not rely on the inline backend's hook to display.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()
