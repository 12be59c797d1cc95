"""GET /v1/models lists the served designs by id (a file's stem); a design can be looked up, DESIGN:MODEL too."""

import openai
import pytest

from tests.serve.served import TWO_LAYERS


def test_the_served_designs_are_listed_by_their_file_stem(start_server):
    served = start_server(designs={"two-layers": TWO_LAYERS, "moa-lite": TWO_LAYERS})

    with served.client() as client:
        models = client.models.list()

    assert sorted(model.id for model in models) == ["moa-lite", "two-layers"]
    assert all(model.object == "model" and model.owned_by == "archon-studio" for model in models)


def test_a_design_and_a_design_on_another_model_can_be_looked_up(served):
    with served.client() as client:
        assert client.models.retrieve("two-layers").id == "two-layers"
        assert client.models.retrieve("two-layers:openai/gpt-4o-mini").id == "two-layers:openai/gpt-4o-mini"


def test_an_unknown_design_is_404_listing_the_served_ones(served):
    with served.client() as client, pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("nope")

    error = caught.value.body
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "'nope' does not exist" in error["message"] and "two-layers" in error["message"]
