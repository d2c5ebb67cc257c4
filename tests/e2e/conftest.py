"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server."""

from __future__ import annotations

import os
from functools import partial

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from playwright.sync_api import sync_playwright

from tests.e2e.pages import screenshot

CHROMIUM = os.environ.get("SOMOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in the test thread while a browser
    # is open; the tests' own ORM calls stay synchronous and safe, which Django cannot tell.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Kept on the test for the page fixture's teardown, which runs after the call's report.
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if getattr(request.node, "call_failed", False):
        _failure_keep(page, request.node.name)
    context.close()


def _failure_keep(page, name: str) -> None:
    """Keep what the browser showed when a test failed: a screenshot, and the page's text."""
    try:
        screenshot(page, f"failed-{name}", timeout=5_000)
        # Printed in the teardown: pytest shows it under the failure.
        print(f"page at failure: {page.url}\n{page.inner_text('body', timeout=2_000)[:2_000]}")
    except Exception as error:
        # A closed or hung page must not hide the failure itself.
        print(f"page at failure: not readable ({error})")


@pytest.fixture
def asgi_live_server(transactional_db):
    """The real ASGI site (HTTP and websockets) under daphne in its own process."""
    server = DaphneProcess(
        "localhost",
        partial(make_application, static_wrapper=ASGIStaticFilesHandler),
        setup=set_database_connection,
    )
    server.start()
    if not server.ready.wait(timeout=30):
        server.terminate()
        raise RuntimeError("daphne did not start")
    yield f"http://localhost:{server.port.value}"
    server.terminate()
    server.join(timeout=10)
