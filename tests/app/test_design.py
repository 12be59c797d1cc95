"""The Design page: presets, import, scratch; layer and component edits, drag and drop, undo and redo;
the graph, checks and estimate; rename and save. Assertions read the design in the session state."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import load_config
from archon_engine.design.presets import BUILTIN_DIR, list_presets

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
STARTING_SLUG = "single-model"  # app.state.STARTING_PRESET


@pytest.fixture(autouse=True)
def user_data(tmp_path, monkeypatch):
    """Saved presets go to a temporary folder."""
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path))
    return tmp_path


def design_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("views/design.py").run()
    assert not at.exception
    return at


def preset(slug: str):
    return load_config(BUILTIN_DIR / f"{slug}.json")


def arch(at: AppTest):
    return at.session_state["arch"]


def shape(at: AppTest) -> list[list[str]]:
    return [[spec.type for spec in layer] for layer in arch(at).layers]


def button(at: AppTest, label: str):
    matching = [b for b in at.button if b.label == label]
    assert matching, f"no button {label!r} among {[b.label for b in at.button]}"
    return matching[0]


def widget(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def component(at: AppTest, name: str):
    return next(c for c in at.get("component_instance") if c.proto.component_name.endswith(name))


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click().run()
    assert not at.exception
    return at


def open_start(at: AppTest) -> AppTest:
    if not at.toggle(key="design_start_open").value:
        at.toggle(key="design_start_open").set_value(True).run()
    return at


def use(at: AppTest, slug: str) -> AppTest:
    open_start(at)
    at.button(key=f"design-use-b-{slug}").click().run()
    assert not at.exception
    return at


def focus(at: AppTest, cid: str) -> AppTest:
    at.selectbox(key="design_pick").set_value(cid).run()
    assert at.session_state["design_focus"] == cid
    return at


def test_the_page_renders_the_design_its_checks_and_estimate():
    at = design_page()
    assert at.title[0].value == "Design"
    assert arch(at) == preset(STARTING_SLUG)
    assert widget(at.metric, "Calls").value == "1"
    assert widget(at.metric, "Max cost").value == "$0"
    assert any("Ready to run" in s.value for s in at.success)
    assert button(at, "Undo").disabled and button(at, "Redo").disabled


def test_the_gallery_shows_every_preset_with_its_estimate():
    at = design_page()
    text = " ".join(m.value for m in at.markdown)
    for item in list_presets():
        assert item.name in text
    assert "**12** calls per query · critical path **3**" in text  # archon-readme-example


@pytest.mark.parametrize("slug", [p.slug for p in list_presets() if p.builtin])
def test_loading_a_preset_makes_it_the_design(slug):
    at = design_page()
    if slug == STARTING_SLUG:
        use(at, "moa-lite")
    use(at, slug)
    assert arch(at) == preset(slug)
    assert any("Loaded the preset" in s.value for s in at.success)
    graph = json.loads(json.loads(component(at, "agraph").proto.json_args)["data"])
    assert [n["id"] for n in graph["nodes"]] == arch(at).component_ids()


def test_starting_from_scratch_gives_one_generator_layer():
    at = use(design_page(), "moa-lite")
    open_start(at)
    click(at, "Start from scratch")
    assert shape(at) == [["generator"]]
    assert arch(at).name == "My architecture"


def test_adding_a_layer_and_components_and_undo_redo():
    at = design_page()
    at.selectbox(key="design_new_layer_type").set_value("critic").run()
    click(at, "Add layer")
    assert shape(at) == [["generator"], ["critic"]]
    assert at.session_state["design_focus"] == "L1.C0"
    click(at, "Add")  # the first layer's "Add", with the layer's own type preselected
    assert shape(at) == [["generator", "generator"], ["critic"]]
    click(at, "Undo")
    assert shape(at) == [["generator"], ["critic"]]
    click(at, "Undo")
    assert arch(at) == preset(STARTING_SLUG)
    assert button(at, "Undo").disabled
    click(at, "Redo")
    click(at, "Redo")
    assert shape(at) == [["generator", "generator"], ["critic"]]
    assert button(at, "Redo").disabled


def test_duplicating_and_removing_components_and_layers():
    at = use(design_page(), "sample-critic-rank-fuse")
    focus(at, "L2.C0")
    click(at, "Duplicate")
    assert shape(at) == [["generator"], ["critic"], ["ranker", "ranker"], ["fuser"]]
    assert arch(at).layers[2][0] == arch(at).layers[2][1]
    assert at.session_state["design_focus"] == "L2.C1"
    click(at, "Remove")
    assert shape(at) == [["generator"], ["critic"], ["ranker"], ["fuser"]]
    at.button(key=f"design-remove-layer-{at.session_state['arch_version']}-1").click().run()
    assert shape(at) == [["generator"], ["ranker"], ["fuser"]]


def test_moving_components_within_and_between_layers():
    at = use(design_page(), "moa-lite")
    original = arch(at).layers[0][2]
    focus(at, "L0.C2")
    click(at, "Later layer")
    assert shape(at) == [["generator", "generator"], ["fuser", "generator"]]
    assert at.session_state["design_focus"] == "L1.C1"
    click(at, "Up")
    assert shape(at) == [["generator", "generator"], ["generator", "fuser"]]
    assert arch(at).layers[1][0] == original
    click(at, "Later layer")  # from the last layer: a new layer
    assert shape(at) == [["generator", "generator"], ["fuser"], ["generator"]]
    click(at, "Earlier layer")
    assert shape(at) == [["generator", "generator"], ["fuser", "generator"]]
    click(at, "Earlier layer")
    assert shape(at) == [["generator", "generator", "generator"], ["fuser"]]
    assert arch(at) == preset("moa-lite")


def test_a_drop_in_the_layer_view_rearranges_the_design():
    at = use(design_page(), "moa-lite")
    stack = component(at, "sortable_items")
    layers = json.loads(stack.proto.json_args)["items"]
    generators, fusers, new_layer = layers
    dropped = [
        {**generators, "items": generators["items"][:2]},
        fusers,
        {**new_layer, "items": [generators["items"][2]]},
    ]
    at.session_state[stack.key] = dropped
    at.run()
    assert not at.exception
    assert shape(at) == [["generator", "generator"], ["fuser"], ["generator"]]
    click(at, "Undo")
    assert arch(at) == preset("moa-lite")


def test_a_drop_that_changes_nothing_redraws_without_an_edit():
    at = click(design_page(), "Duplicate")  # two identical generators
    before, version = arch(at), at.session_state["arch_version"]
    stack = component(at, "sortable_items")
    layers = json.loads(stack.proto.json_args)["items"]
    swapped = [{**layers[0], "items": list(reversed(layers[0]["items"]))}, *layers[1:]]
    at.session_state[stack.key] = swapped
    at.run()
    assert not at.exception
    assert arch(at) == before
    assert at.session_state["arch_version"] == version
    assert component(at, "sortable_items").key != stack.key


def test_editing_a_components_settings():
    at = design_page()
    widget(at.number_input, "Samples").set_value(3).run()
    assert arch(at).layers[0][0].samples == 3
    widget(at.slider, "Temperature").set_value(0.9).run()
    assert arch(at).layers[0][0].temperature == pytest.approx(0.9)
    widget(at.toggle, "Length control").set_value(True).run()
    assert arch(at).layers[0][0].length_control is True
    widget(at.text_area, "System prompt").set_value("Answer in French.").run()
    assert arch(at).layers[0][0].system_prompt == "Answer in French."
    widget(at.selectbox, "Type").set_value("ranker").run()
    assert shape(at) == [["ranker"]]
    assert widget(at.number_input, "Keep top k").value == 5
    assert any(e.value.startswith("**L0.C0**") for e in at.error)  # a ranker with nothing to rank
    assert not at.exception


def test_choosing_an_instruction_variant_or_writing_ones_own():
    at = design_page()
    instruction = widget(at.selectbox, "Instruction")
    assert instruction.value == "(none)"
    assert instruction.options[1] == "step_by_step — Think step by step, then end with a line 'Answer: <answer>'."
    assert instruction.options[-1] == "custom…"
    instruction.set_value("number_only").run()
    assert arch(at).layers[0][0].instruction == "number_only"

    widget(at.selectbox, "Instruction").set_value("custom…").run()
    assert arch(at).layers[0][0].instruction == "number_only"  # unchanged until the text is given
    widget(at.text_input, "Your instruction").set_value("  Name the city only. ").run()
    assert arch(at).layers[0][0].instruction == "Name the city only."
    assert widget(at.selectbox, "Instruction").value == "custom…"
    assert widget(at.text_input, "Your instruction").value == "Name the city only."

    widget(at.selectbox, "Instruction").set_value("(none)").run()
    assert arch(at).layers[0][0].instruction is None
    assert not at.exception


def test_a_majority_vote_edits_its_extractor_and_the_settings_it_needs():
    at = use(design_page(), "self-consistency")
    focus(at, "L1.C0")
    assert widget(at.selectbox, "Extractor").value == "short_text"
    assert not [s for s in at.selectbox if s.label == "Model"]  # no model call, no model settings
    widget(at.selectbox, "Extractor").set_value("regex").run()
    assert arch(at).layers[1][0].extractor == "regex"
    assert any("the regex extractor needs 'pattern'" in e.value for e in at.error)
    widget(at.text_input, "Pattern").set_value(r"City: (\w+)").run()
    assert arch(at).layers[1][0].pattern == r"City: (\w+)"
    assert not any("needs 'pattern'" in e.value for e in at.error)
    widget(at.selectbox, "Extractor").set_value("json_field").run()
    widget(at.text_input, "JSON field").set_value("answer").run()
    assert arch(at).layers[1][0].field == "answer"
    assert not at.exception


def test_the_model_picker_lists_the_models_of_providers_with_a_key():
    at = design_page()
    assert widget(at.selectbox, "Model").options == ["local/smollm2-135m (embedded, free)"]
    at.session_state["api_keys"] = {"openai": "sk-design-test-key"}
    at.run()
    picker = widget(at.selectbox, "Model")
    assert "gpt-4o-mini" in picker.options
    picker.set_value("gpt-4o-mini").run()
    assert arch(at).layers[0][0].model == "gpt-4o-mini"
    assert widget(at.metric, "Max cost").value.startswith("$0.0")


def test_a_model_without_a_price_makes_the_cost_unknown_and_says_which():
    at = design_page()
    custom = {"name": "custom", "layers": [[{"type": "generator", "model": "openai/my-private-model"}]]}
    at.text_area(key="design_paste").set_value(json.dumps(custom)).run()
    click(at, "Load the pasted JSON")
    assert widget(at.selectbox, "Model").value == "openai/my-private-model"
    assert widget(at.metric, "Max cost").value == "unknown"
    assert any("openai/my-private-model" in c.value for c in at.caption)


def test_a_bad_archon_json_shows_a_clear_error_and_keeps_the_design():
    at = use(design_page(), "moa-lite")
    before = arch(at)
    open_start(at)
    at.text_area(key="design_paste").set_value('{"layers": [[{"type": "generator",').run()
    click(at, "Load the pasted JSON")
    assert arch(at) == before
    assert any("Could not read the pasted JSON: invalid JSON at line 1, column" in e.value for e in at.error)

    bad = {"layers": [[{"type": "generator", "model": "m", "model_type": "Nope_API", "samples": 1}]]}
    at.text_area(key="design_paste").set_value(json.dumps(bad)).run()
    click(at, "Load the pasted JSON")
    assert arch(at) == before
    message = next(e.value for e in at.error if "Could not import" in e.value)
    assert "layers[0][0]" in message and "unknown model_type 'Nope_API'" in message
    assert "The design was not changed" in message

    at.text_area(key="design_paste").set_value('{"layers": 5}').run()
    click(at, "Load the pasted JSON")
    assert arch(at) == before
    assert any("layers: Input should be a valid list" in e.value for e in at.error)


def test_a_pasted_archon_config_loads_with_its_warnings(archon_configs):
    at = design_page()
    source = archon_configs / "Llama-3.1-405B_with_critic_and_ranker.json"
    at.text_area(key="design_paste").set_value(source.read_text()).run()
    click(at, "Load the pasted JSON")
    assert arch(at) == load_config(source)
    assert any("from the pasted JSON" in s.value for s in at.success)
    assert not at.exception


def test_the_graph_sends_one_node_per_component_and_edges_between_layers():
    at = use(design_page(), "unit-tests")
    sent = json.loads(component(at, "agraph").proto.json_args)
    graph = json.loads(sent["data"])
    ids = arch(at).component_ids()
    assert [n["id"] for n in graph["nodes"]] == ids
    assert [n["level"] for n in graph["nodes"]] == [int(cid[1 : cid.index(".")]) for cid in ids]
    chain = {("L0.C0", "L1.C0"), ("L1.C0", "L2.C0"), ("L2.C0", "L3.C0")}
    assert {(e["from"], e["to"]) for e in graph["edges"]} == chain
    options = json.loads(sent["config"])
    assert options["layout"]["hierarchical"]["direction"] == "LR"
    assert options["physics"]["enabled"] is False
    assert "×5" in graph["nodes"][1]["label"]

    use(at, "moa-lite")  # every component of a layer feeds every component of the next
    graph = json.loads(json.loads(component(at, "agraph").proto.json_args)["data"])
    assert {(e["from"], e["to"]) for e in graph["edges"]} == {(f"L0.C{i}", "L1.C0") for i in range(3)}
    assert len({n["color"]["background"] for n in graph["nodes"]}) == 2  # generators and the fuser differ


def test_a_node_click_selects_its_component():
    at = use(design_page(), "sample-critic-rank-fuse")
    graph = component(at, "agraph")
    at.session_state[graph.key] = "L1.C0"
    at.run()
    assert at.session_state["design_focus"] == "L1.C0"
    assert widget(at.selectbox, "Type").value == "critic"
    assert any(c.value.startswith("Writes strengths and weaknesses") for c in at.caption)


def test_renaming_and_saving_to_my_presets(user_data):
    at = design_page()
    widget(at.text_input, "Name").set_value("My three samples").run()
    assert arch(at).name == "My three samples"
    click(at, "Save to my presets")
    saved = user_data / "presets" / "my-three-samples.json"
    assert load_config(saved) == arch(at)
    assert any("Saved “My three samples”" in s.value for s in at.success)
    assert button(at, "Replace my preset")  # saving again asks to replace
    open_start(at)
    assert at.button(key="design-use-u-my-three-samples").disabled  # in the gallery, in use


def test_an_empty_name_is_refused_with_a_message():
    at = design_page()
    widget(at.text_input, "Name").set_value("  ").run()
    assert arch(at) == preset(STARTING_SLUG)
    assert any("name cannot be empty" in e.value for e in at.error)


def test_the_design_can_be_downloaded_in_both_formats():
    at = design_page()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download project JSON", "Download Archon JSON"]


def test_use_from_code_follows_the_design_from_preset_to_saved_to_renamed(user_data):
    at = design_page()

    def shown() -> str:
        return "\n".join(c.value for c in at.code)

    assert "archon serve --presets" in shown() and 'model="single-model"' in shown()  # a built-in preset
    widget(at.text_input, "Name").set_value("My three samples").run()
    assert "archon serve my-three-samples.json" in shown()  # the downloaded project JSON's name
    assert '"model": "my-three-samples"' in shown()  # curl
    click(at, "Save to my presets")
    assert f"archon serve {user_data / 'presets' / 'my-three-samples.json'}" in shown()


def test_a_newcomer_builds_three_samples_critic_fuse_by_clicking():
    at = use(design_page(), "moa-lite")
    open_start(at)
    click(at, "Start from scratch")
    widget(at.number_input, "Samples").set_value(3).run()
    at.selectbox(key="design_new_layer_type").set_value("critic").run()
    click(at, "Add layer")
    at.selectbox(key="design_new_layer_type").set_value("fuser").run()
    click(at, "Add layer")
    assert shape(at) == [["generator"], ["critic"], ["fuser"]]
    assert arch(at).layers[0][0].samples == 3
    assert widget(at.metric, "Calls").value == "5"
    assert not at.error and not at.warning
    assert any("Ready to run" in s.value for s in at.success)
