"""``python main.py new``: the names it derives, the files it writes, what it refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.config import PROJECT_ROOT, Settings
from plugin.lint import check_root
from plugin.lint.manifest import NAME_FOR_MODEL
from plugin.scaffold import SKIPPED, TEMPLATE, plugin_names, write_plugin


@pytest.mark.parametrize(
    ("folder", "model", "human"),
    [
        ("my-habits", "my_habits", "My Habits"),
        ("readingList 2", "readinglist_2", "ReadingList 2"),
        ("日記", "my_plugin", "My Plugin"),
        ("a" * 30 + "-" + "b" * 30, "a" * 30 + "_" + "b" * 19, "A" * 1 + "a" * 19),
        ("x-" + "y" * 48 + "-z", "x_" + "y" * 48, "X " + "Y" + "y" * 17),
    ],
)
def test_names_come_from_the_folder_and_fit_the_manifest(
    folder: str, model: str, human: str
) -> None:
    names = plugin_names(folder)
    assert names == {"name_for_model": model, "name_for_human": human}
    assert NAME_FOR_MODEL.fullmatch(names["name_for_model"])


def test_new_writes_a_plugin_that_check_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "habit-log"
    folder.mkdir()  # an empty folder is as good as a new one
    assert main(["new", str(folder)]) == 0
    assert f"PLUGIN_ROOT={folder} PLUGIN_DATABASE=data/habit_log.sqlite3 make run" in (
        capsys.readouterr().out
    )
    written = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    template = [p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file()]
    assert written == sorted(p for p in template if not set(p.parts) & set(SKIPPED))
    assert not [p for p in folder.rglob("*") if p.suffix != ".png" and "{{" in _text(p)]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["name_for_model"], manifest["name_for_human"]) == ("habit_log", "Habit Log")
    report = check_root(Settings(root=folder))
    assert report.findings == [] and not report.could_not_check


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


@pytest.mark.parametrize("kind", ["a non-empty folder", "a file"])
def test_new_refuses_what_exists_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "taken"
    if kind == "a file":
        target.write_text("mine")
        said = f"{target} is a file"
    else:
        target.mkdir()
        (target / "notes.txt").write_text("mine")
        said = f"{target} is not empty"
    assert main(["new", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {said}: give a new or empty folder\n"
    assert sorted(tmp_path.rglob("*")) == sorted([target, *target.glob("*")])  # nothing added


def test_the_readme_operation_fits_the_scaffold(tmp_path: Path) -> None:
    """README's "your own API in twenty lines", added to a new plugin, passes ``check``."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Your own API in twenty lines") :]
    [operation] = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)[:1]
    [handler] = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[:1]
    folder = tmp_path / "my-plugin"
    write_plugin(folder)
    spec = folder / "openapi.yaml"
    spec.write_text(spec.read_text().replace("components:\n", operation + "components:\n", 1))
    (folder / "handlers.py").write_text((folder / "handlers.py").read_text() + "\n\n" + handler)
    report = check_root(Settings(root=folder))
    assert report.findings == [] and not report.could_not_check
    assert "habit_days" in spec.read_text()
