"""The plugin's operations: one ``async def`` per operationId of openapi.yaml.

Each takes, by name, what it needs: the operation's parameters (already checked against the
spec), ``body``, ``caller`` and ``db``. docs/your-own-api.md in the server's repository is the
reference.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from plugin.api import Caller, Conflict, ConstraintViolation, Database, ValidationFailed


def _today() -> date:
    return datetime.now(UTC).date()


async def list_habits(username: str, days: int, caller: Caller, db: Database) -> dict[str, Any]:
    """How often each habit was checked in over the last ``days`` days, today included."""
    since = _today() - timedelta(days=days - 1)
    rows = await db.fetch(
        "SELECT habit, count(*), max(day) FROM check_ins"
        " WHERE owner = ? AND day >= ? GROUP BY habit ORDER BY habit",
        caller.owner_for(username),
        since.isoformat(),
    )
    return {"habits": [{"habit": h, "times": n, "last_day": last} for h, n, last in rows]}


async def check_in(
    username: str, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, str]:
    """Record that a habit was done on a day (today by default); a second time is a 409."""
    day = body.get("day") or _today().isoformat()
    try:
        date.fromisoformat(day)  # the spec's pattern lets 2025-02-30 through
    except ValueError:
        raise ValidationFailed(f"'day' in the body is not a date: {day}.") from None
    try:
        await db.execute(
            "INSERT INTO check_ins (owner, habit, day) VALUES (?, ?, ?)",
            caller.owner_for(username),
            body["habit"],
            day,
        )
    except ConstraintViolation:
        raise Conflict(f"That habit is already checked in for {day}.") from None
    return {"habit": body["habit"], "day": day}
