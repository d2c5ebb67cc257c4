"""The API's first version: /api/v1/, its OpenAPI document and its docs page."""

from __future__ import annotations

from django.views.decorators.http import require_GET
from ninja import NinjaAPI
from ninja.operation import Operation

from somos_site.api import campaigns, jobs
from somos_site.api.auth import TokenAuth
from somos_site.api.docs import SiteSwagger
from somos_site.api.errors import errors_install


class SomosApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The view's name (campaign_list, job_detail): what generated clients call it.
        return operation.view_func.__name__


api = SomosApi(
    title="Somos API",
    version="1",
    description=(
        "Campaigns, imports, exports and rankings of Somos. Every route takes a personal token"
        " (create one on your profile page, or with `manage.py api_token --email E`) in the"
        " header `Authorization: Bearer <token>`, and allows what the same person may do on the"
        " site's pages."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=SiteSwagger(),
    # The document and the docs page are public, and read-only.
    docs_decorator=require_GET,
)
errors_install(api)
api.add_router("", campaigns.router)
api.add_router("", jobs.router)
