"""POST /v1/chat/completions: one request is one run of the design, answered as a chat.completion."""

import asyncio

import openai

from archon_engine.serve import RUN_ID_HEADER
from tests.serve.served import user


def test_the_answer_is_the_designs_final_answer_with_the_run_id_as_field_and_header(served):
    with served.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="two-layers", messages=user("Hello?"))
    completion = raw.parse()

    run = served.store().run(completion.archon_run_id)
    assert completion.choices[0].message.content == run.answer
    assert run.answer.startswith("Fused answer") and run.status == "completed"
    assert completion.choices[0].finish_reason == "stop" and completion.model == "two-layers"
    assert raw.headers[RUN_ID_HEADER] == completion.archon_run_id
    assert completion.id == f"chatcmpl-{completion.archon_run_id}"


def test_usage_is_summed_over_every_call_the_design_made(served):
    with served.client() as client:
        completion = client.chat.completions.create(model="two-layers", messages=user("Count my tokens."))

    run = served.store().run(completion.archon_run_id)
    assert run.usage.calls == 3
    assert completion.usage.prompt_tokens == run.usage.prompt_tokens == sum(c.prompt_tokens for c in run.trace.calls)
    assert completion.usage.completion_tokens == run.usage.completion_tokens > 0
    assert completion.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens
    assert completion.archon_cost_usd == 0.0


def test_system_and_earlier_turns_reach_the_design_as_they_were_sent(served):
    conversation = [
        {"role": "developer", "content": "Answer in French."},  # OpenAI's newer name for the system message
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": [{"type": "text", "text": "And "}, {"type": "text", "text": "3 + 3?"}]},
    ]
    with served.client() as client:
        completion = client.chat.completions.create(model="two-layers", messages=conversation)

    expected = [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3 + 3?"},
    ]
    generators = [r for r in served.backend.requests if r.role == "generate"]
    assert len(generators) == 2 and all(r.messages == expected for r in generators)
    assert served.store().run(completion.archon_run_id).messages == expected
    fuser = next(r for r in served.backend.requests if r.role == "fuse")
    assert "And 3 + 3?" in str(fuser.messages)  # the query the candidates are fused for


def test_design_colon_model_runs_every_component_on_that_model(served):
    with served.client() as client:
        completion = client.chat.completions.create(model="two-layers:openai/gpt-4o-mini", messages=user("Hi"))

    assert {r.model for r in served.backend.requests} == {"openai/gpt-4o-mini"}
    assert completion.model == "two-layers:openai/gpt-4o-mini"
    run = served.store().run(completion.archon_run_id)
    assert {spec.model for layer in run.architecture.layers for spec in layer} == {"openai/gpt-4o-mini"}


def test_temperature_and_max_tokens_apply_to_the_last_layer_only(served):
    with served.client() as client:
        client.chat.completions.create(model="two-layers", messages=user("Hi"), temperature=0.1, max_tokens=77)
        client.chat.completions.create(model="two-layers", messages=user("Hi"), max_completion_tokens=55)

    settings = [(r.role, r.temperature, r.max_tokens) for r in served.backend.requests]
    assert settings.count(("generate", 0.7, 2048)) == 4
    assert ("fuse", 0.1, 77) in settings and ("fuse", 0.7, 55) in settings


def test_the_trace_comes_back_when_asked_for(served):
    with served.client() as client:
        plain = client.chat.completions.create(model="two-layers", messages=user("Hi"))
        traced = client.chat.completions.create(
            model="two-layers", messages=user("Hi"), extra_body={"archon_trace": True}
        )

    assert "archon_trace" not in plain.model_extra
    calls = traced.archon_trace["calls"]
    assert [c["role"] for c in calls] == ["generate", "generate", "fuse"]
    assert calls == served.store().run(traced.archon_run_id).trace.model_dump(mode="json")["calls"]


def test_a_budget_cap_the_run_fits_in_changes_nothing(served):
    with served.client() as client:
        completion = client.chat.completions.create(
            model="two-layers", messages=user("Hi"), extra_body={"archon_budget": {"max_calls": 3, "max_usd": 1.0}}
        )

    assert served.store().run(completion.archon_run_id).status == "completed"


def test_every_served_run_is_in_the_run_store_for_the_apps_history(served):
    with served.client() as client:
        completion = client.chat.completions.create(model="two-layers", messages=user("Keep me."))

    (summary,) = served.store().runs()
    assert (summary.id, summary.name, summary.prompt) == (completion.archon_run_id, "two-layers (served)", "Keep me.")
    assert summary.answer == completion.choices[0].message.content


def test_the_async_client_gets_the_same_kind_of_answer(served):
    async def ask() -> openai.types.chat.ChatCompletion:
        async with served.async_client() as client:
            return await client.chat.completions.create(model="two-layers", messages=user("Async?"))

    completion = asyncio.run(ask())

    assert completion.choices[0].message.content == served.store().run(completion.archon_run_id).answer
    assert completion.usage.total_tokens > 0
