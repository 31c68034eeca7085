"""Exception types of the HTTP service, and the one JSON body every error is sent as.

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

Every error goes out as ``application/json``::

    {"status": 400, "error": "syntax_error", "title": "Bad Request",
     "detail": "error at 1:6: expected ...", "problems": [...]}   # problems: 422 only

Server bugs are 500 with a fixed detail and no internals (the traceback is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.problems = list(problems)


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


def error_body(status: int, code: str, detail: str, problems: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON body of every error response."""
    body: dict[str, Any] = {
        "status": status,
        "error": code,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
    }
    if problems:
        body["problems"] = list(problems)
    return body


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.status, error.code, error.detail, error.problems),
        status_code=error.status,
        headers=error.headers,
    )


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return JSONResponse(
        error_body(status, code, detail), status_code=status, headers=exc.headers or None
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()
    ]
    return JSONResponse(
        error_body(422, "invalid_parameters", "invalid request parameters", problems),
        status_code=422,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body(500, "internal_error", "internal server error (the log has the details)"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Send every error, expected or not, as the one JSON error body."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
