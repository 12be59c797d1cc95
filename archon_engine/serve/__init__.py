"""Designs served as OpenAI-compatible models: ``python -m archon_engine serve CONFIG_OR_DIR...``.

    from archon_engine.serve import DesignCatalog, create_app, serve
    serve(DesignCatalog.load(["presets/moa-lite.json"]), port=8000)
    # then, from any OpenAI client: OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="-")
    #     .chat.completions.create(model="moa-lite", messages=[...])

``protocol`` holds the wire schemas, ``designs`` the served designs, ``serving`` the work (one request,
one ``arun``), ``streaming`` the server-sent events, ``security`` the key and limits, ``routes`` the
FastAPI app, ``server`` uvicorn. Errors and their statuses: ``errors``.
"""

from archon_engine.serve.designs import DesignCatalog
from archon_engine.serve.errors import RUN_ID_HEADER
from archon_engine.serve.routes import create_app
from archon_engine.serve.security import InsecureBind
from archon_engine.serve.server import serve
from archon_engine.serve.serving import ServerLimits

__all__ = ["RUN_ID_HEADER", "DesignCatalog", "InsecureBind", "ServerLimits", "create_app", "serve"]
