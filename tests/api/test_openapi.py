"""The API's OpenAPI document is valid OpenAPI 3 and lists every route; its docs page loads."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ROUTES = {
    ("get", "/api/v1/campaigns"),
    ("post", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns/{slug}"),
    ("patch", "/api/v1/campaigns/{slug}"),
    ("post", "/api/v1/campaigns/{slug}/imports"),
    ("post", "/api/v1/campaigns/{slug}/exports"),
    ("post", "/api/v1/campaigns/{slug}/status"),
    ("get", "/api/v1/campaigns/{slug}/ranking"),
    ("get", "/api/v1/jobs/{job_id}"),
    ("post", "/api/v1/jobs/{job_id}/cancel"),
    ("get", "/api/v1/jobs/{job_id}/result"),
}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_document_validates_as_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_openapi_document_lists_every_route_and_only_those(document):
    listed = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in METHODS
    }
    assert listed == ROUTES


def test_openapi_every_route_asks_for_a_bearer_token_and_says_its_errors(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"TokenAuth": []}], (method, path)
            assert {"401", "429"} <= set(operation["responses"]), (method, path)


def test_openapi_documents_the_import_upload_and_the_202_jobs(document):
    imports = document["paths"]["/api/v1/campaigns/{slug}/imports"]["post"]
    form = imports["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"source", "translation", "hub_name"} <= set(form["properties"])
    assert form["properties"]["source"]["format"] == "binary"
    assert "202" in imports["responses"]
    assert "202" in document["paths"]["/api/v1/campaigns/{slug}/exports"]["post"]["responses"]


def test_openapi_document_and_docs_page_are_public_and_read_only(client):
    assert client.post("/api/v1/openapi.json").status_code == 405
    assert client.post("/api/v1/docs").status_code == 405
    page = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    # Swagger UI from the site's own static files: no other host, no inline script.
    assert "/static/ninja/swagger-ui-bundle.js" in html and "https://" not in html
    assert html.count("<script") == 3 and '<script type="application/json"' in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
