"""Errors as the OpenAI API words them, ``{"error": {"message", "type", "param", "code"}}``, with their status.

| status | type | code | when |
|---|---|---|---|
| 400 | invalid_request_error | invalid_request | a field is missing or wrong; ``param`` names it |
| 401 | invalid_request_error | invalid_api_key | no ``Authorization: Bearer`` key, or a wrong one (never echoed) |
| 402 | insufficient_quota | budget_exceeded | the run reached its budget (``archon_budget``) |
| 404 | invalid_request_error | model_not_found | no such design (or route) |
| 413 | invalid_request_error | request_too_large | the body is over the server's limit |
| 429 | rate_limit_error | server_busy | the concurrent-run limit is full; ``Retry-After`` says when to retry |
| 502 | upstream_error | provider_error | the design's model calls failed; the provider's message, keys redacted |
| 500 | server_error | internal_error | a bug in this server |

Why 402 for a budget, not OpenAI's 429 ``insufficient_quota``: OpenAI's clients retry every 429 (twice, by
default), and the cap belongs to the request, so each retry would run, and pay for, the design again only
to stop at the same cap. 402 is a client error that no client retries; the type stays OpenAI's
``insufficient_quota`` so that code which knows it recognises it. 402 and 502 also carry
``x-should-retry: false``: the engine has already retried each call's transient failures, and a retry of
the request would repeat every call of the design.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from archon_engine.config import describe_validation_error, field_path
from archon_engine.models import keys
from archon_engine.serve.protocol import ErrorBody, ErrorDetail

RUN_ID_HEADER = "X-Archon-Run-Id"
NO_RETRY = {"x-should-retry": "false"}


class ServeError(Exception):
    """A request that ends in an OpenAI error body; raised anywhere, answered by the routes."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.detail = ErrorDetail(message=keys.redact(message), type=type, param=param, code=code)
        self.headers = headers or {}

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.detail)


def bad_request(message: str, param: str | None = None) -> ServeError:
    return ServeError(400, message, code="invalid_request", param=param)


def invalid_body(exc: ValidationError) -> ServeError:
    """A request that failed its schema: every problem named by its field, ``param`` the first one's."""
    return bad_request(describe_validation_error(exc), param=field_path(exc.errors()[0]["loc"]) or None)


def unauthorized(message: str) -> ServeError:
    return ServeError(401, message, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})


def model_not_found(model: str, served: Sequence[str]) -> ServeError:
    listed = ", ".join(served[:20]) + (", ..." if len(served) > 20 else "")
    message = f"The model '{model}' does not exist here. Served designs: {listed} (and DESIGN:MODEL for any of them)"
    return ServeError(404, message, code="model_not_found", param="model")


def not_found(message: str) -> ServeError:
    return ServeError(404, message, code="not_found")


def too_large(limit_bytes: int) -> ServeError:
    return ServeError(
        413, f"the request body is over this server's limit of {limit_bytes} bytes", code="request_too_large"
    )


def busy(limit: int, retry_after_s: int) -> ServeError:
    message = f"the server is running {limit} requests, its limit; retry after {retry_after_s} s"
    return ServeError(
        429, message, type="rate_limit_error", code="server_busy", headers={"Retry-After": str(retry_after_s)}
    )


def budget_exceeded(message: str, run_id: str) -> ServeError:
    headers = {RUN_ID_HEADER: run_id, **NO_RETRY}
    return ServeError(402, message, type="insufficient_quota", code="budget_exceeded", headers=headers)


def provider_failure(message: str, run_id: str) -> ServeError:
    headers = {RUN_ID_HEADER: run_id, **NO_RETRY}
    return ServeError(502, message, type="upstream_error", code="provider_error", headers=headers)


def internal(message: str) -> ServeError:
    return ServeError(500, message, type="server_error", code="internal_error")
