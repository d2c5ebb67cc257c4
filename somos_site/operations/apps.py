from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Operators' commands that span every app: the demo, and one campaign's backup."""

    name = "somos_site.operations"
    label = "operations"
    verbose_name = _("Operations")
