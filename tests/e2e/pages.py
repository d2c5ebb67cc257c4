"""What the browser tests do on pages again and again: sign in, keep a screenshot."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the Spanish login form and wait for the signed-in menu."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_selector("text=Mi perfil")


def screenshot(page, name: str, *, timeout: float | None = None) -> Path:
    """Save a full-page screenshot under artifacts/ for people to look at.

    timeout: milliseconds to wait for the page; the page's default timeout when None.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, timeout=timeout)
    return path


def answer_with(page, key: str) -> None:
    """Press the key that sends the annotate form, and wait until the answer is through.

    The page's script shows the next record in place (the form's data-record changes), or
    moves on to another page (the done page, the guide): either way the answered record's
    form is gone and nothing is being sent.
    """
    answered = page.locator("#annotate-form").get_attribute("data-record")
    page.keyboard.press(key)
    expect(page.locator(f'#annotate-form[data-record="{answered}"]')).to_have_count(0)
    expect(page.locator("#annotate-form[aria-busy]")).to_have_count(0)
