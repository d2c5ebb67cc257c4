"""The API's docs page: Swagger UI from the site's own static files, under the site's CSP."""

from __future__ import annotations

from ninja import Swagger


class SiteSwagger(Swagger):
    """ninja's page (no inline script), in the site's language, its HTML with a lang attribute."""

    template = "api/docs.html"
    # Swagger UI asks an outside validator for a badge otherwise; the CSP would refuse it.
    default_settings = {**Swagger.default_settings, "validatorUrl": None}
