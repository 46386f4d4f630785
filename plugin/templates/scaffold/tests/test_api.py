"""The plugin served for real on a free port, called over HTTP as ChatGPT calls it."""

from __future__ import annotations

import httpx


def test_a_check_in_is_counted(api: httpx.Client) -> None:
    done = api.post("/habits/ann", json={"habit": "run"})  # today, by default
    assert done.status_code == 200
    assert api.post("/habits/ann", json={"habit": "run", "day": "2020-01-01"}).status_code == 200
    habits = api.get("/habits/ann").json()["habits"]  # over the last 7 days
    assert habits == [{"habit": "run", "times": 1, "last_day": done.json()["day"]}]
    assert api.get("/habits/bob").json() == {"habits": []}  # each user has their own


def test_the_same_day_twice_is_a_conflict(api: httpx.Client) -> None:
    check_in = {"habit": "read", "day": "2024-02-29"}
    assert api.post("/habits/cy", json=check_in).json() == check_in
    again = api.post("/habits/cy", json=check_in)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_the_spec_refuses_bad_input_before_a_handler_runs(api: httpx.Client) -> None:
    too_many = api.get("/habits/ann", params={"days": 1000})
    assert too_many.status_code == 422 and "days" in too_many.json()["error_description"]
    assert api.post("/habits/ann", json={"day": "2024-01-01"}).status_code == 422
    assert api.post("/habits/ann", json={"habit": "x", "day": "2024-02-30"}).status_code == 422
