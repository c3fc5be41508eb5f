"""Render trusted-author Markdown to sanitised HTML."""

from __future__ import annotations

import markdown as md
import nh3


def render(text: str) -> str:
    html = md.markdown(text or "", extensions=["extra", "sane_lists"])
    return nh3.clean(html)
