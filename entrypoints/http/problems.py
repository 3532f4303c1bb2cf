"""RFC 9457 problem details for every error, domain or HTTP, so clients parse one error shape."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_AT_PATH = re.compile(r"- at `\$\.([^`]+)`")

_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
}

_STATUS = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (TooManyRequests, 429),
)


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    instance: str = ""
    errors: list[FieldProblem] = []


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    problem = Problem(
        type=f"urn:cap:problem:{_slug(title)}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
    )
    return Response(problem, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, DomainError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    errors = [FieldProblem(e.field, e.message) for e in exc.errors] if isinstance(exc, InvalidInput) else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="cap"'}
    return problem_response(request, status, exc.title, exc.detail, errors, headers)


_MISSING_PARAMETER = re.compile(r"Missing required (?:query|path|header|cookie) parameter '([^']+)'")


def validation_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """A body or parameter that does not fit the schema: 400 if unparseable, else 422 with the fields."""
    assert isinstance(exc, ValidationException)
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_problem(item) for item in extra]
    # A missing required parameter is named only in Litestar's detail text.
    missing = _MISSING_PARAMETER.search(str(exc.detail))
    if missing and not errors:
        errors = [FieldProblem(missing.group(1), "is required")]
    unparseable = any("JSON is malformed" in e.message or "Input data was truncated" in e.message for e in errors)
    if unparseable or "malformed" in str(exc.detail).lower():
        return problem_response(request, 400, "Malformed request", "The request body is not valid JSON.", errors)
    return problem_response(request, 422, "Invalid input", "The request does not match the schema.", errors)


def _field_problem(item: object) -> FieldProblem:
    if not isinstance(item, dict):
        return FieldProblem("body", str(item))
    message = str(item.get("message", "is invalid"))
    # msgspec names a missing field only in its message ("Object missing required field `password`").
    missing = _MISSING_FIELD.search(message)
    if missing:
        return FieldProblem(missing.group(1), "is required")
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        return FieldProblem(unknown.group(1), "is not a field of this request")
    at = _AT_PATH.search(message)
    if at:
        return FieldProblem(at.group(1), message[: at.start()].strip(" -"))
    key = str(item.get("key") or "body")
    return FieldProblem("body" if key == "data" else key, message)


def http_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    assert isinstance(exc, HTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
    return problem_response(request, exc.status_code, title, str(exc.detail), headers=exc.headers)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled error", path=request.url.path, exc_info=exc)
    return problem_response(request, 500, "Internal error", "Something went wrong on our side; it was logged.")
