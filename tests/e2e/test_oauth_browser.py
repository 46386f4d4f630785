"""The sign-in page in headless Chromium (Debian's, driven by Playwright): a person signs in,
allows, and the browser lands on the client's redirect URI with a code that works.

This proves what only a browser checks: the page's style passes its own CSP, the CSRF cookie
travels with the form, and the redirect after the form POST is not blocked (a ``form-action``
directive would block it). The screenshot goes to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    problems: list[str] = []
    opened.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    yield opened
    context.close()
    assert [p for p in problems if "Content Security Policy" in p] == []


def test_sign_in_in_a_browser(
    tmp_path: Path, live_server: Callable[..., LiveServer], page: Page, artifacts: Path
) -> None:
    server = live_server({"PLUGIN_AUTH": "oauth"})
    base = f"http://localhost:{server.port}"
    callback = f"{base}/callback"
    database = tmp_path / "live.sqlite3"
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    client = cli_ok(database, "oauth", "add-client", "--redirect-uri", callback)
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": callback,
        "state": "from the browser",
        "scope": "",
    }
    page.goto(f"{base}/oauth/authorize?{urlencode(query)}")
    assert page.title() == "Sign in to allow access"
    # The nonce'd stylesheet applied: the card is 24rem wide, not the browser default.
    assert page.locator("main").evaluate("element => getComputedStyle(element).maxWidth") == "384px"

    page.fill("#username", "ann")
    page.fill("#password", "not the password")
    page.click("button[value=allow]")
    assert "Wrong user name or password" in page.locator("[role=alert]").inner_text()

    page.fill("#password", PASSWORD)
    page.screenshot(path=str(artifacts / "oauth-authorize.png"))
    with page.expect_navigation(url=f"{callback}?**"):
        page.click("button[value=allow]")
    landed = parse_qs(urlsplit(page.url).query)
    assert landed["state"] == ["from the browser"]
    answer = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": landed["code"][0],
            "redirect_uri": callback,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "bearer"

    page.goto(f"{base}/oauth/authorize?{urlencode(query)}")
    with page.expect_navigation(url=f"{callback}?**"):
        page.click("button[value=deny]")
    assert parse_qs(urlsplit(page.url).query)["error"] == ["access_denied"]
