"""Using a design from code: the command that serves it, and the OpenAI client calls that reach it."""

from __future__ import annotations

import json
import shlex

from pydantic import BaseModel

from archon_engine.config import Architecture
from archon_engine.design.presets import list_presets, slugify

DEFAULT_PORT = 8000
EXAMPLE_PROMPT = "What is the capital of France?"


class UsageFromCode(BaseModel):
    """How to serve a design and call it; ``model`` is the id the server gives it."""

    model: str
    serve_command: str
    source: str  # where the served file comes from, in a sentence
    python: str
    curl: str


def usage_from_code(arch: Architecture, *, port: int = DEFAULT_PORT, prompt: str = EXAMPLE_PROMPT) -> UsageFromCode:
    """The ``archon serve`` command for ``arch`` and the calls to it, with the official ``openai`` client and curl.

    A built-in preset is served with ``--presets``, a saved preset from its file; any other design from
    the project JSON the Design page downloads (named after the design, so its id is that name's slug).
    """
    slug = slugify(arch.name)
    same = next((p for p in list_presets() if p.architecture.to_dict() == arch.to_dict()), None)
    if same is not None and same.builtin:
        model, command, source = same.slug, "archon serve --presets", f"the built-in preset {same.slug}"
    elif same is not None:
        model, command, source = same.slug, f"archon serve {shlex.quote(str(same.path))}", f"your preset {same.path}"
    else:
        model, command = slug, f"archon serve {slug}.json"
        source = f"the project JSON: download it (it is named {slug}.json) or save it to your presets"
    base_url = f"http://127.0.0.1:{port}/v1"
    messages = [{"role": "user", "content": prompt}]
    python = "\n".join(
        [
            "from openai import OpenAI",
            "",
            f'client = OpenAI(base_url="{base_url}", api_key="-")  # the server\'s --api-key, if it has one',
            "reply = client.chat.completions.create(",
            f"    model={json.dumps(model)},",
            f"    messages={json.dumps(messages, ensure_ascii=False)},",
            ")",
            "print(reply.choices[0].message.content)",
        ]
    )
    body = json.dumps({"model": model, "messages": messages}, ensure_ascii=False)
    curl = f"curl {base_url}/chat/completions \\\n  -H 'Content-Type: application/json' \\\n  -d {shlex.quote(body)}"
    if port != DEFAULT_PORT:
        command += f" --port {port}"
    return UsageFromCode(model=model, serve_command=command, source=source, python=python, curl=curl)
