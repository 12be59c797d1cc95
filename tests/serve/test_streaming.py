"""``stream: true``: server-sent events as OpenAI sends them; the pieces join to the run's answer."""

import json

import httpx

from tests.serve.served import user


def test_the_chunks_join_to_the_answer_the_run_stored(served):
    with served.client() as client:
        chunks = list(client.chat.completions.create(model="two-layers", messages=user("Stream it"), stream=True))

    first, *middle, last = chunks
    assert (first.choices[0].delta.role, first.choices[0].delta.content) == ("assistant", "")
    assert len(middle) > 1  # the answer comes in pieces, not in one chunk
    assert last.choices[0].finish_reason == "stop" and last.choices[0].delta.content is None
    streamed = "".join(chunk.choices[0].delta.content for chunk in middle)
    run_id = first.archon_run_id
    assert streamed == served.store().run(run_id).answer
    assert {chunk.id for chunk in chunks} == {f"chatcmpl-{run_id}"}


def test_the_stream_is_data_lines_ending_in_done(served):
    body = {"model": "two-layers", "messages": user("Raw"), "stream": True}
    with httpx.stream("POST", f"{served.base_url}/chat/completions", json=body) as response:
        text = response.read().decode()

    assert response.headers["content-type"].startswith("text/event-stream")
    events = text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(event.startswith("data: {") for event in events[:-2])
    assert all(json.loads(event[6:])["object"] == "chat.completion.chunk" for event in events[:-2])


def test_usage_comes_last_when_the_client_asks_for_it(served):
    with served.client() as client:
        chunks = list(
            client.chat.completions.create(
                model="two-layers", messages=user("Usage?"), stream=True, stream_options={"include_usage": True}
            )
        )

    *content, usage_chunk = chunks
    run = served.store().run(usage_chunk.archon_run_id)
    assert usage_chunk.choices == []
    assert usage_chunk.usage.prompt_tokens == run.usage.prompt_tokens
    assert usage_chunk.usage.completion_tokens == run.usage.completion_tokens
    assert all(chunk.usage is None for chunk in content)
