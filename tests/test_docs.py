"""The manual keeps up with the code: every setting documented, every local link alive."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from plugin.config import Settings

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_setting_is_in_the_configuration_page() -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    missing = [
        f"PLUGIN_{field.name.upper()}"
        for field in dataclasses.fields(Settings)
        if f"`PLUGIN_{field.name.upper()}`" not in page
    ]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_local_links_lead_to_files(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t]
    assert [t for t in targets if not (page.parent / t).exists()] == []


def test_the_readme_links_every_page_of_the_manual() -> None:
    readme = (REPO / "README.md").read_text()
    assert [p.name for p in PAGES[1:] if f"](docs/{p.name})" not in readme] == []
