"""``serve``: the app on uvicorn, on 127.0.0.1 unless an API key guards another address."""

from __future__ import annotations

import uvicorn

from archon_engine.models.base import ModelBackend
from archon_engine.models.litellm_backend import import_litellm
from archon_engine.serve.designs import DesignCatalog
from archon_engine.serve.routes import create_app
from archon_engine.serve.security import check_bind
from archon_engine.serve.serving import ServerLimits
from archon_engine.storage.store import Store


def serve(
    catalog: DesignCatalog,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    store: Store | None = None,
    backend: ModelBackend | None = None,
    limits: ServerLimits | None = None,
    log_level: str = "info",
) -> None:
    """Serve the catalog's designs until interrupted. Raises InsecureBind for a non-loopback host without a key."""
    check_bind(host, api_key)
    if backend is None:
        import_litellm()  # its seconds of imports now, not in the first request
    app = create_app(catalog, store=store or Store(), backend=backend, api_key=api_key, limits=limits)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
