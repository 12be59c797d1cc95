"""The FastAPI app: ``GET /v1/models``, ``GET /v1/models/{id}``, ``POST /v1/chat/completions``; every error in
OpenAI's format (see ``errors``)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from archon_engine.models.base import ModelBackend
from archon_engine.serve import errors
from archon_engine.serve.designs import DesignCatalog
from archon_engine.serve.protocol import ModelCard, ModelList
from archon_engine.serve.security import BearerAuth, read_body
from archon_engine.serve.serving import ChatService, ServerLimits, completion, parse_request
from archon_engine.serve.streaming import answer_pieces, sse_events
from archon_engine.storage.store import Store

JSON = "application/json"


def create_app(
    catalog: DesignCatalog,
    *,
    store: Store,
    backend: ModelBackend | None = None,
    api_key: str | None = None,
    limits: ServerLimits | None = None,
) -> FastAPI:
    """The server's app; with ``api_key`` every route needs ``Authorization: Bearer <api_key>``."""
    service = ChatService(catalog, store=store, backend=backend, limits=limits)
    started = int(time.time())
    router = APIRouter(prefix="/v1", dependencies=[Depends(BearerAuth(api_key))] if api_key else [])

    def card(model_id: str) -> ModelCard:
        return ModelCard(id=model_id, created=started)

    @router.get("/models")
    async def list_models() -> Response:
        listing = ModelList(data=[card(design_id) for design_id in catalog.ids])
        return Response(listing.model_dump_json(), media_type=JSON)

    @router.get("/models/{model_id:path}")
    async def retrieve_model(model_id: str) -> Response:
        catalog.resolve(model_id)
        return Response(card(model_id).model_dump_json(), media_type=JSON)

    @router.post("/chat/completions")
    async def chat_completions(request: Request) -> Response:
        chat = parse_request(await read_body(request, service.limits.max_body_bytes))
        served = await service.complete(chat)
        headers = {errors.RUN_ID_HEADER: served.run_id}
        if chat.stream:
            events = sse_events(served, answer_pieces(served.result.answer or ""), include_usage=chat.include_usage)
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        body = completion(served, with_trace=chat.archon_trace).model_dump_json()
        return Response(body, media_type=JSON, headers=headers)

    app = FastAPI(title="Archon Studio", openapi_url=None, docs_url=None, redoc_url=None)  # no unauthenticated pages
    app.include_router(router)
    app.add_exception_handler(errors.ServeError, _error_response)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    return app


def _error_response(_: Request, exc: errors.ServeError) -> Response:
    return JSONResponse(exc.body().model_dump(), status_code=exc.status, headers=exc.headers)


def _http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's own errors (no such route, wrong method) in OpenAI's format."""
    if exc.status_code == 404:
        return _error_response(request, errors.not_found(f"no route {request.method} {request.url.path}"))
    error = errors.ServeError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    return _error_response(request, error)


def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug: the client gets OpenAI's 500 body, the server's log the traceback (Starlette logs it after this)."""
    return _error_response(request, errors.internal("internal server error (the server's log has the details)"))
