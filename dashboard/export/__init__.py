"""Briefing-ready exports: the map on screen as PNG/SVG/PDF, the one-page area briefing and the report.

Modules, each usable on its own:

- :mod:`~dashboard.export.page`: one page composed in CSS pixels (texts, table cells, swatches,
  rules, a map slot, small charts, header, legend, source block, watermark) and turned into one
  ``go.Figure``; both exports compose through it;
- :mod:`~dashboard.export.image`: the map image (composition, PNG dpi and SVG size/title);
- :mod:`~dashboard.export.briefing`: the A4 briefing sheet of one area (content and layout);
- :mod:`~dashboard.export.report`: the report (ondermijningsbeeld) of a gemeente or region as
  content, and :mod:`~dashboard.export.document` that content as Word or multi-page PDF;
- :mod:`~dashboard.export.render`: figures to bytes in Debian's Chromium, through kaleido's
  persistent server, offline and bounded in time.

The names below are what the app, the CLI and the benchmark use.
"""

from dashboard.export.briefing import Briefing, briefing_data, briefing_filename, briefing_pdf, compose_briefing
from dashboard.export.image import (MARKING_ENV, compose_figure, export_figure, export_meta, filename,
                                    render_state)
from dashboard.export.page import ExportMeta
from dashboard.export.render import FORMATS, MEDIA_TYPES, ExportError, Format, Renderer, renderer

__all__ = [
    "FORMATS", "MARKING_ENV", "MEDIA_TYPES", "Briefing", "ExportError", "ExportMeta", "Format", "Renderer",
    "briefing_data", "briefing_filename", "briefing_pdf", "compose_briefing", "compose_figure", "export_figure",
    "export_meta", "filename", "render_state", "renderer",
]
