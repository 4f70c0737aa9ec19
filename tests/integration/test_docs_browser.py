"""``/docs`` of ``pypwext serve`` in a real browser: headless Chromium (Debian's package) driven
by Selenium through Debian's chromedriver.

The page must render every operation of the example (examples/orders/api.py) from assets the
server serves itself (the page's Content-Security-Policy allows nothing else, and the browser
runs with background networking off), and "Try it out" on ``POST /orders`` must reach the local
server and show its 201. On CI (``CI=true``) a missing browser is a failure, not a skip:
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ServeProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
BOUND_S = 60.0  # a generous bound for the page to render and the call to come back
ORDER = {"id": 42, "description": "from the browser", "items": [{"id": 1, "quantity": 3, "description": "w"}]}
OPERATIONS = {
    ("GET", "/orders/{order_id}"),
    ("POST", "/orders"),
    ("POST", "/offers"),
    ("POST", "/checkout"),
    ("GET", "/inventory/items/{item_id}"),
}


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing on CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed here")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(REPO / "examples" / "orders", root / "orders", ignore=shutil.ignore_patterns("tests"))
    server = ServeProcess("orders/api.py", root, root / "serve.log", reload=False)
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        _missing("chromium or chromedriver (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (the dev extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,2000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + BOUND_S
    while True:
        try:
            found = condition()
        except Exception:  # an element not there yet, or replaced while React re-renders
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {BOUND_S:.0f} s: {what}"
        time.sleep(0.1)


def test_the_docs_page_renders_the_operations_and_try_it_out_gets_a_201(
    served: ServeProcess, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{served.url}/docs")
    blocks = _until(lambda: browser.find_elements(By.CSS_SELECTOR, ".opblock"), "the operations render")
    _until(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(OPERATIONS), "all of them")
    shown = {
        (
            b.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for b in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert shown == OPERATIONS, blocks
    # the schemas are there too (the models section lists the example's types)
    models = browser.find_element(By.CSS_SELECTOR, ".models").text
    assert "Order" in models

    def create_order() -> Any:
        for block in browser.find_elements(By.CSS_SELECTOR, ".opblock-post"):
            path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
            if path == "/orders":
                return block
        return None

    _until(create_order, "POST /orders").find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    _until(lambda: create_order().find_element(By.CSS_SELECTOR, ".try-out__btn"), "Try it out").click()
    editor = _until(lambda: create_order().find_element(By.CSS_SELECTOR, "textarea.body-param__text"), "body")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    editor.send_keys(json.dumps(ORDER))
    create_order().find_element(By.CSS_SELECTOR, ".execute").click()

    def live_status() -> str | None:
        cells = create_order().find_elements(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
        return cells[0].text.strip() if cells else None

    status = _until(live_status, "the response of Execute")
    shot = Path(os.environ.get("PYPWEXT_SCREENSHOT_DIR") or tmp_path) / "docs-try-it-out.png"
    browser.save_screenshot(str(shot))
    assert status == "201", (status, shot)
    body = (
        create_order()
        .find_element(By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_description")
        .text
    )
    assert '"total_quantity": 3' in body and '"id": 42' in body
    # the call went to this server, and the browser fetched nothing from anywhere else
    assert "POST /orders 201" in served.wait_for_log("POST /orders 201")
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
