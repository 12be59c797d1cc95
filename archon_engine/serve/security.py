"""Who may use the server, and how much a request may send: the bind rule, the bearer key, the body limit."""

from __future__ import annotations

import ipaddress
import secrets

from fastapi import Request

from archon_engine.models import keys
from archon_engine.serve import errors


class InsecureBind(ValueError):
    """Listening beyond this machine without an API key."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse a non-loopback address without a key: anyone who reaches it could spend on this server's keys."""
    if not api_key and not is_loopback(host):
        raise InsecureBind(
            f"refusing to listen on {host} without --api-key: anyone who can reach it could run designs "
            "on this server's provider keys. Give --api-key KEY, or listen on 127.0.0.1"
        )


class BearerAuth:
    """Checks ``Authorization: Bearer <key>`` in constant time; the key is registered as a secret (redacted)."""

    def __init__(self, api_key: str):
        keys.register_secret(api_key)
        self._expected = api_key.encode()

    def __call__(self, request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise errors.unauthorized("Missing API key: send the header 'Authorization: Bearer <key>'")
        if not secrets.compare_digest(given.strip().encode(), self._expected):
            raise errors.unauthorized("Incorrect API key provided")


async def read_body(request: Request, limit_bytes: int) -> bytes:
    """The whole body, or the 413 ServeError as soon as it is known to be over ``limit_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes:
        raise errors.too_large(limit_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit_bytes:
            raise errors.too_large(limit_bytes)
    return bytes(body)
