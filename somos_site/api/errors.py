"""Every error of the API as {"detail": "...", "errors": [{"field": ..., "message": ...}]}."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from somos_site.middleware import API_ERRORS


class ApiError(Exception):
    """An answer other than success, with a message and the fields it is about."""

    def __init__(
        self, status: int, detail: str, errors: Iterable[tuple[str | None, str]] = ()
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)


class RateLimited(Exception):
    """Too many requests from one user; try again after `wait` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


def form_refused(
    form: forms.Form, *, status: int = 400, names: dict[str, str] | None = None
) -> ApiError:
    """The errors of a refused Django form, each naming its field as the API spells it."""
    names = names or {}
    errors = [
        (None if field == NON_FIELD_ERRORS else names.get(field, field), str(message))
        for field, messages in form.errors.items()
        for message in messages
    ]
    return ApiError(status, _("The request is not valid: see the errors of each field."), errors)


def _answer(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    detail: str,
    errors: Iterable[tuple[str | None, str]] = (),
) -> HttpResponse:
    body = {
        "detail": str(detail),
        "errors": [{"field": field, "message": str(message)} for field, message in errors],
    }
    return api.create_response(request, body, status=status)


# What pydantic says of a value it refused, in the reader's language.
def _pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not one the API takes.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter a text.")
    if kind == "literal_error":
        return _("Choose one of: %(choices)s.") % {
            "choices": error.get("ctx", {}).get("expected", "")
        }
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    return _("This value is not valid.")


def _field_of(location: list) -> str | None:
    # ("body", "payload", "overlap") → "overlap"; ("query", "window") → "window".
    parts = [str(part) for part in location[2 if location[:1] == ["body"] else 1 :]]
    return ".".join(parts) or None


def errors_install(api: NinjaAPI) -> None:
    """Answer every error of the API in the same JSON shape, in the reader's language."""

    def api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
        return _answer(api, request, error.status, error.detail, error.errors)

    def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
        problems = [(_field_of(list(e.get("loc", ()))), _pydantic_message(e)) for e in error.errors]
        return _answer(api, request, 400, _("The request is not valid."), problems)

    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        response = _answer(
            api,
            request,
            401,
            _("Send a valid API token in the header Authorization: Bearer <token>."),
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
        response = _answer(api, request, 429, API_ERRORS[429])
        response.headers["Retry-After"] = str(error.wait)
        return response

    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        if error.status_code == 400:
            # ninja's only one: a body that does not parse.
            return _answer(api, request, 400, _("The body is not valid JSON."))
        return _answer(api, request, error.status_code, API_ERRORS.get(error.status_code, error))

    def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return _answer(api, request, 404, API_ERRORS[404])

    def denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        return _answer(api, request, 403, API_ERRORS[403])

    def too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
        return _answer(api, request, 413, API_ERRORS[413])

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(ValidationError, invalid)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(RateLimited, rate_limited)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, denied)
    api.add_exception_handler(RequestDataTooBig, too_large)
