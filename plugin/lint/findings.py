"""What the linter reports: findings, each with where, what and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["CouldNotCheck", "Finding", "Report", "error", "too_long", "warning"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    path: str  # "manifest.json: auth.type", "openapi.yaml: paths./todos.get.summary", a URL
    message: str
    fix: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}\n    fix: {self.fix}"


def error(path: str, message: str, fix: str) -> Finding:
    return Finding("error", path, message, fix)


def warning(path: str, message: str, fix: str) -> Finding:
    return Finding("warning", path, message, fix)


def too_long(where: str, text: object, limit: int, who: str) -> list[Finding]:
    """An error when ``text`` is over ``limit`` characters; ``who`` enforces the limit."""
    if isinstance(text, str) and len(text) > limit:
        return [
            error(
                where,
                f"is {len(text)} characters; {who} allow at most {limit}",
                f"shorten it to {limit} characters",
            )
        ]
    return []


class CouldNotCheck(Exception):
    """The target could not be read at all (no file, no connection): exit code 2."""


@dataclass
class Report:
    target: str
    findings: list[Finding] = field(default_factory=list)
    could_not_check: str = ""

    @property
    def errors(self) -> int:
        return sum(finding.severity == "error" for finding in self.findings)

    @property
    def warnings(self) -> int:
        return sum(finding.severity == "warning" for finding in self.findings)

    @property
    def exit_code(self) -> int:
        """0 clean (warnings allowed), 1 errors, 2 could not check."""
        if self.could_not_check:
            return 2
        return 1 if self.errors else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.exit_code == 0,
            "exit_code": self.exit_code,
            "could_not_check": self.could_not_check or None,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [finding.as_json() for finding in self.findings],
        }
