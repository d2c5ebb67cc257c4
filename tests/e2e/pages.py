"""What the browser tests do on pages again and again: sign in, keep a screenshot."""

from __future__ import annotations

from pathlib import Path

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the Spanish login form and wait for the signed-in menu."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_selector("text=Mi perfil")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
