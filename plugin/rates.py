"""Parsing a ``PLUGIN_RATE_LIMIT*`` budget: ``60/minute``, ``5/second``, ``1000/hour``, ``off``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Rate", "parse_rate"]

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
OFF = ("", "off", "0", "none")


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    period: float  # seconds

    @property
    def per_second(self) -> float:
        return self.count / self.period


def parse_rate(text: str) -> Rate | None:
    """The rate, or None when limiting is switched off; ValueError says what is wrong."""
    cleaned = text.strip().lower()
    if cleaned in OFF:
        return None
    count, slash, period = cleaned.partition("/")
    period = period.strip().removesuffix("s")
    if not slash or not count.strip().isdigit() or period not in PERIODS or int(count) < 1:
        raise ValueError(f"{text!r} is not like 60/minute (second, minute, hour, day) or off")
    return Rate(int(count), PERIODS[period])
