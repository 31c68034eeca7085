"""Exception types of the HTTP service, and the one problem body every error is sent as.

    ApiError                      any refusal the service explains (status, code, detail)
      BadRequest            400   malformed request
        ProtocolError       400   the request breaks the SPARQL / Graph Store protocol
        QuerySyntaxError    400   the query or update does not parse (parser's message)
        QueryEvaluationError 400  the query parses but cannot be evaluated
        RdfSyntaxError      400   an RDF request body does not parse
      Unauthorized          401   a write without a token (sends WWW-Authenticate: Bearer)
      Forbidden             403   a write with the wrong token, or writes switched off
      NotFound              404   no such graph or resource
      NotAcceptable         406   no offered format satisfies Accept / format=
      UnsupportedMediaType  415   a request body type the endpoint does not read
      WriteRefused          422   the write gate found problems; nothing was written
      ServiceUnavailable    503   the service cannot answer now
        QueryTimeout        503   the query ran past the time limit and was stopped
        WorkersBusy         503   every query worker stayed busy for the whole limit
        QueryFailed         503   a query worker failed (crashed, out of memory)

Every error goes out as an RFC 9457 problem, ``application/problem+json``::

    {"type": "https://w3id.org/mipex-kg/problem#syntax_error", "title": "Bad Request",
     "status": 400, "detail": "error at 1:6: expected ...", "instance": "/sparql",
     "error": "syntax_error"}

``type`` names the kind of problem (``PROBLEM_TYPES`` + the short code, which is
also given as ``error``), ``title`` is the status phrase, ``instance`` the path
asked for. Extension members: ``problems`` (one line per problem, for a refused
write or invalid parameters) and ``invalid-params`` (``name``, ``in``, ``reason``
for each parameter that does not fit, as in RFC 9457 section 3).

Server bugs are 500 with a fixed detail and no internals (the traceback is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with an HTTP status, a short machine code and a plain-language detail."""

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        problems: Sequence[str] = (),
        invalid_params: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.problems = list(problems)
        self.invalid_params = [dict(p) for p in invalid_params]


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class ProtocolError(BadRequest):
    code = "protocol_error"


class QuerySyntaxError(BadRequest):
    code = "syntax_error"


class QueryEvaluationError(BadRequest):
    code = "query_error"


class RdfSyntaxError(BadRequest):
    code = "rdf_syntax_error"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="mipex-kg"'})


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class NotAcceptable(ApiError):
    status, code = 406, "not_acceptable"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class WriteRefused(ApiError):
    status, code = 422, "write_refused"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


class TooManyRequests(ApiError):
    """The client has as many requests running or waiting as it may (429)."""

    status, code = 429, "too_many_requests"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class QueryTimeout(ServiceUnavailable):
    code = "query_timeout"


class WorkersBusy(ServiceUnavailable):
    code = "busy"


class QueryFailed(ServiceUnavailable):
    code = "query_failed"


#: The problem types: this IRI and the error's short code (``...#not_found``).
PROBLEM_TYPES = "https://w3id.org/mipex-kg/problem#"
PROBLEM_JSON = "application/problem+json"


def problem_body(status: int, code: str, detail: str, instance: str, *,
                 problems: Sequence[str] = (),
                 invalid_params: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """The RFC 9457 problem object of an error response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "error": code,
    }
    if problems:
        body["problems"] = list(problems)
    if invalid_params:
        body["invalid-params"] = [dict(p) for p in invalid_params]
    return body


def problem_response(status: int, code: str, detail: str, instance: str, *,
                     headers: Mapping[str, str] | None = None,
                     problems: Sequence[str] = (),
                     invalid_params: Sequence[Mapping[str, str]] = ()) -> JSONResponse:
    """An error response: the problem object as ``application/problem+json``."""
    return JSONResponse(
        problem_body(status, code, detail, instance, problems=problems,
                     invalid_params=invalid_params),
        status_code=status, headers=dict(headers) if headers else None, media_type=PROBLEM_JSON)


def error_response(error: ApiError, instance: str) -> JSONResponse:
    """The response to an ``ApiError`` raised while answering ``instance`` (a path)."""
    return problem_response(error.status, error.code, error.detail, instance,
                            headers=error.headers, problems=error.problems,
                            invalid_params=error.invalid_params)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc, request.url.path)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(status, code, detail, request.url.path, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors]
    invalid = [{"name": ".".join(str(p) for p in e.get("loc", ())[1:]),
                "in": str(next(iter(e.get("loc", ())), "")), "reason": str(e.get("msg", ""))}
               for e in errors]
    return problem_response(422, "invalid_parameters", "invalid request parameters",
                            request.url.path, problems=problems, invalid_params=invalid)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal_error",
                            "internal server error (the log has the details)", request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Send every error, expected or not, as an RFC 9457 problem."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
