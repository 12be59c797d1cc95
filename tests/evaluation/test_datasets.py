"""Datasets: the layouts recognised without a mapping, mappings, located errors, splits and the shipped sets."""

import json
import subprocess
import sys

import pytest

from archon_engine.evaluation.datasets import (
    ColumnMapping,
    Dataset,
    DatasetError,
    Item,
    format_choices,
    get_dataset,
    load_dataset,
    shipped_datasets,
)


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def csv_file(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_python(code):
    """True if the code runs to the end in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    return done.returncode == 0


# ------------------------------------------------------------------------------------------ layouts


def test_the_projects_own_layout_reads_prompt_and_reference_and_numbers_rows_for_ids(tmp_path):
    data = load_dataset(
        jsonl(
            tmp_path / "qa.jsonl",
            {"prompt": "Capital of Peru?", "reference": "Lima"},
            {"prompt": "Capital of Chile?", "reference": "Santiago", "topic": "geo"},
        )
    )
    assert (data.name, data.kind, data.source) == ("qa", "exact", str(tmp_path / "qa.jsonl"))
    assert [(i.id, i.prompt, i.reference) for i in data.items] == [
        ("1", "Capital of Peru?", "Lima"),
        ("2", "Capital of Chile?", "Santiago"),
    ]
    assert data.items[1].metadata == {"topic": "geo"}  # fields no layout reads are kept


def test_numbers_as_references_make_a_numeric_dataset(tmp_path):
    data = load_dataset(
        jsonl(
            tmp_path / "n.jsonl",
            {"id": "a", "prompt": "2+2?", "reference": 4},
            {"id": "b", "prompt": "Big?", "reference": "1,200"},
        )
    )
    assert data.kind == "numeric"
    assert [(i.id, i.reference) for i in data.items] == [("a", "4"), ("b", "1200")]


def test_gsm8k_takes_the_number_after_the_four_hashes(tmp_path):
    answer = "She has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"
    data = load_dataset(
        jsonl(
            tmp_path / "gsm.jsonl",
            {"question": "3 apples and 4 more?", "answer": answer},
            {"question": "Cost?", "answer": "It costs 1,000 dollars.\n#### 1,000"},
        )
    )
    assert data.kind == "numeric"
    assert [i.reference for i in data.items] == ["7", "1000"]
    assert data.items[0].prompt == "3 apples and 4 more?"
    assert data.items[0].metadata["rationale"] == "She has 3 + 4 = <<3+4=7>>7 apples."


def test_multiple_choice_formats_the_options_into_the_prompt_and_answers_with_a_letter(tmp_path):
    data = load_dataset(
        jsonl(
            tmp_path / "mc.jsonl",
            {"question": "Red planet?", "choices": ["Venus", "Mars", "Earth"], "answer": "B"},
            {"question": "Two plus two?", "choices": ["3", "4", "5"], "answer": 1},  # a 0-based index (MMLU)
            {"question": "Largest?", "choices": ["Mouse", "Whale"], "answer": "Whale"},  # the option's text
        )
    )
    assert data.kind == "choice"
    assert [i.reference for i in data.items] == ["B", "B", "B"]
    first = data.items[0]
    assert first.choices == ["Venus", "Mars", "Earth"]
    assert first.prompt == format_choices("Red planet?", ["Venus", "Mars", "Earth"])
    assert "Red planet?\n\nA. Venus\nB. Mars\nC. Earth" in first.prompt


def test_arc_style_choices_with_labels(tmp_path):
    record = {
        "id": "arc-1",
        "question": "Hot?",
        "choices": {"text": ["Ice", "Fire"], "label": ["1", "2"]},
        "answerKey": "2",
    }
    item = load_dataset(jsonl(tmp_path / "arc.jsonl", record)).items[0]
    assert (item.id, item.choices, item.reference) == ("arc-1", ["Ice", "Fire"], "B")


def test_a_csv_with_options_in_letter_columns(tmp_path):
    path = csv_file(tmp_path / "mmlu.csv", "question,A,B,C,D,answer", "Sky colour?,Green,Blue,Red,Pink,B")
    data = load_dataset(path)
    assert data.kind == "choice"
    assert data.items[0].choices == ["Green", "Blue", "Red", "Pink"] and data.items[0].reference == "B"


def test_mbpp_lists_its_tests_in_the_prompt_and_finds_the_entry_point(tmp_path):
    record = {
        "task_id": 11,
        "text": "Write a function to double a number.",
        "code": "def double(x):\n    return 2 * x",
        "test_list": ["assert double(2) == 4", "assert double(0) == 0"],
    }
    data = load_dataset(jsonl(tmp_path / "mbpp.jsonl", record))
    item = data.items[0]
    assert (data.kind, item.id, item.entry_point) == ("code", "11", "double")
    assert item.tests == "assert double(2) == 4\nassert double(0) == 0"
    assert item.prompt.startswith("Write a function to double a number.") and "assert double(2) == 4" in item.prompt
    assert item.metadata["solution"] == record["code"]


def test_humaneval_tests_call_check_on_the_entry_point(tmp_path):
    record = {
        "task_id": "HumanEval/0",
        "prompt": 'def inc(x):\n    """Add one."""\n',
        "canonical_solution": "    return x + 1\n",
        "entry_point": "inc",
        "test": "def check(candidate):\n    assert candidate(1) == 2\n",
    }
    data = load_dataset(jsonl(tmp_path / "he.jsonl", record))
    item = data.items[0]
    assert (data.kind, item.id, item.entry_point, item.prompt) == ("code", "HumanEval/0", "inc", record["prompt"])
    assert item.tests == record["test"] + "\ncheck(inc)\n"
    assert run_python(item.metadata["solution"] + "\n" + item.tests)


def test_instructions_and_prompts_without_references_are_open(tmp_path):
    alpaca = load_dataset(
        jsonl(
            tmp_path / "alpaca.jsonl",
            {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
        )
    )
    assert alpaca.kind == "open"
    assert alpaca.items[0].prompt == "Translate to French.\n\nGood morning"
    assert alpaca.items[0].reference == "Bonjour"
    plain = load_dataset(jsonl(tmp_path / "plain.jsonl", {"prompt": "Write a limerick."}))
    assert plain.kind == "open" and plain.items[0].reference is None


def test_a_json_file_holds_a_whole_dataset_or_a_list_of_records(tmp_path):
    whole = tmp_path / "whole.json"
    whole.write_text(
        json.dumps(
            {
                "name": "mine",
                "kind": "exact",
                "description": "d",
                "source": "s",
                "items": [{"id": "x", "prompt": "p", "reference": "r"}],
            }
        )
    )
    assert (
        load_dataset(whole).model_dump()
        == Dataset(
            name="mine", kind="exact", description="d", source="s", items=[Item(id="x", prompt="p", reference="r")]
        ).model_dump()
    )
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps([{"prompt": "p", "reference": "r"}]))
    assert load_dataset(listed).items == [Item(id="1", prompt="p", reference="r")]


def test_kind_and_name_arguments_override_the_file(tmp_path):
    data = load_dataset(jsonl(tmp_path / "n.jsonl", {"prompt": "2+2?", "reference": "4"}), kind="exact", name="tiny")
    assert (data.name, data.kind) == ("tiny", "exact")


# ------------------------------------------------------------------------------------------ mappings


def test_a_mapping_names_the_columns(tmp_path):
    path = csv_file(tmp_path / "custom.csv", "key,query,gold,level", "q1,Capital of Peru?,Lima,easy")
    data = load_dataset(path, mapping=ColumnMapping(id="key", prompt="query", reference="gold"))
    assert data.items == [Item(id="q1", prompt="Capital of Peru?", reference="Lima", metadata={"level": "easy"})]


def test_a_mapping_reads_choices_separated_by_bars_or_as_a_json_list(tmp_path):
    path = csv_file(tmp_path / "mc.csv", "q,opts,right", "Sky?,Green|Blue,1", 'Sea?,"[""Wet"", ""Dry""]",A')
    data = load_dataset(path, mapping=ColumnMapping(prompt="q", choices="opts", reference="right"))
    assert data.kind == "choice"
    assert [(i.choices, i.reference) for i in data.items] == [(["Green", "Blue"], "B"), (["Wet", "Dry"], "A")]
    assert "A. Green\nB. Blue" in data.items[0].prompt


def test_a_mapping_overrides_layout_detection(tmp_path):
    """A GSM8K-looking file read as plain question/answer text."""
    path = jsonl(tmp_path / "gsm.jsonl", {"question": "Q?", "answer": "work\n#### 5"})
    data = load_dataset(path, mapping=ColumnMapping(prompt="question", reference="answer"))
    assert data.kind == "exact" and data.items[0].reference == "work\n#### 5"


def test_a_code_mapping_joins_a_list_of_tests(tmp_path):
    path = jsonl(
        tmp_path / "code.jsonl", {"task": "Write f.", "checks": ["assert f() == 1", "assert f() != 2"], "fn": "f"}
    )
    data = load_dataset(path, mapping=ColumnMapping(prompt="task", reference=None, tests="checks", entry_point="fn"))
    assert data.kind == "code"
    assert (data.items[0].tests, data.items[0].entry_point) == ("assert f() == 1\nassert f() != 2", "f")


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"prompt": "a"}', '{"prompt": "b"}', '{"prompt": '], "bad.jsonl, line 3: invalid JSON"),
        (['{"prompt": "a"}', '{"prompt": 7}'], "bad.jsonl, line 2, field 'prompt': expected text, got a number"),
        (['{"prompt": "a"}', "", '{"prompt": ""}'], "bad.jsonl, line 3, field 'prompt': is empty"),
        (['{"prompt": "a"}', "[1, 2]"], "bad.jsonl, line 2: expected a JSON object, got a list"),
        (['{"prompt": "a", "metadata": []}'], "bad.jsonl, line 1, field 'metadata': expected an object"),
        (
            ['{"prompt": "a", "id": "x"}', '{"prompt": "b", "id": "x"}'],
            "bad.jsonl, line 2, field 'id': the id 'x' is already used on line 1",
        ),
        (['{"query": "a"}'], "bad.jsonl, line 1: cannot tell the layout from the fields ['query']"),
        (
            ['{"question": "q", "choices": ["x", "y"], "answer": "C"}'],
            "bad.jsonl, line 1, field 'answer': the answer 'C' is not one of the 2 options (A-B)",
        ),
        (
            ['{"question": "q", "choices": ["x", "y"], "answer": 2}'],
            "bad.jsonl, line 1, field 'answer': the answer index 2 is out of range for 2 options",
        ),
        (
            ['{"question": "q", "choices": "x", "answer": "A"}'],
            "bad.jsonl, line 1, field 'choices': a choice task needs 2 to 26 options, got 1",
        ),
        (
            ['{"prompt": "a", "reference": "b"}', '{"prompt": "c"}'],
            "bad.jsonl, line 2, field 'reference': is missing: an exact task needs a reference",
        ),
        (['{"question": "q", "answer": "five\\n#### "}'], "bad.jsonl, line 1, field 'answer': nothing follows '####'"),
    ],
)
def test_a_bad_record_is_reported_with_its_file_line_and_field(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="^" + str(tmp_path).replace("\\", "\\\\") + "/") as caught:
        load_dataset(path)
    assert message in str(caught.value)


def test_an_explicit_kind_must_fit_the_items(tmp_path):
    path = jsonl(tmp_path / "k.jsonl", {"prompt": "2+2?", "reference": "4"}, {"prompt": "Sky?", "reference": "blue"})
    with pytest.raises(DatasetError, match=r"k.jsonl, line 2, field 'reference': 'blue' is not a number"):
        load_dataset(path, kind="numeric")
    with pytest.raises(DatasetError, match=r"k.jsonl, line 1, field 'tests': is missing: a code task needs tests"):
        load_dataset(path, kind="code")
    with pytest.raises(DatasetError, match=r"k.jsonl: unknown kind 'fuzzy'"):
        load_dataset(path, kind="fuzzy")


def test_csv_errors_name_the_line_and_column(tmp_path):
    path = csv_file(tmp_path / "t.csv", "prompt,reference", "a,1", ",2")
    with pytest.raises(DatasetError, match=r"t.csv, line 3, field 'prompt': is missing"):
        load_dataset(path)
    path = csv_file(tmp_path / "wide.csv", "prompt,reference", "a,1,extra")
    with pytest.raises(DatasetError, match=r"wide.csv, line 2: 3 values but the header names 2 columns"):
        load_dataset(path)
    path = csv_file(tmp_path / "m.csv", "q,a", "x,y")
    with pytest.raises(DatasetError, match=r"m.csv, line 1, field 'gold': no such column \(the mapping's reference\)"):
        load_dataset(path, mapping=ColumnMapping(prompt="q", reference="gold"))


def test_a_missing_mapped_field_in_jsonl_names_its_line(tmp_path):
    path = jsonl(tmp_path / "m.jsonl", {"q": "x", "gold": "y"}, {"q": "z"})
    with pytest.raises(DatasetError, match=r"m.jsonl, line 2, field 'gold': is missing \(the mapping's reference\)"):
        load_dataset(path, mapping=ColumnMapping(prompt="q", reference="gold"))


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.jsonl", "\n\n", "empty.jsonl: the file has no items"),
        ("empty.csv", "prompt,reference\n", "empty.csv: the file has no items"),
        ("empty.json", "", "empty.json: the file has no items"),
        ("data.txt", "hello", "data.txt: unsupported file type '.txt'"),
        ("obj.json", '{"rows": []}', "obj.json: expected a list of items or an object with 'items'"),
        ("kind.json", '{"kind": "fuzzy", "items": []}', "kind.json, field 'kind': unknown kind 'fuzzy'"),
        ("items.json", '{"items": {"prompt": "p"}}', "items.json, field 'items': expected a list of items"),
        ("broken.json", '[\n{"prompt": "p"},\n{"prompt" "q"}\n]', "broken.json, line 3: invalid JSON"),
        ("deep.jsonl", "[" * 100_000, "deep.jsonl, line 1: invalid JSON: nested too deeply"),
        ("deep.json", "[" * 100_000, "deep.json, line 1: invalid JSON: nested too deeply"),
    ],
)
def test_a_bad_file_is_reported_with_its_name(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert message in str(caught.value)


def test_a_missing_file_or_unknown_name(tmp_path):
    with pytest.raises(DatasetError, match="cannot read the file"):
        load_dataset(tmp_path / "nowhere.jsonl")
    with pytest.raises(DatasetError, match=r"no shipped dataset has this name \(arithmetic, choice, factual"):
        get_dataset("no-such-set")


def test_a_jsonl_line_holding_a_unicode_line_separator_is_one_record(tmp_path):
    path = tmp_path / "separators.jsonl"
    path.write_text('{"prompt": "one\u2028two\x85three", "reference": "x"}\n', encoding="utf-8")  # raw, not escaped

    assert [item.prompt for item in load_dataset(path).items] == ["one\u2028two\x85three"]


def test_dataset_errors_are_value_errors():
    assert issubclass(DatasetError, ValueError)


# ------------------------------------------------------------------------------------------ split and head


def numbered(count):
    return Dataset(name="n", kind="open", items=[Item(id=str(i), prompt=f"p{i}") for i in range(count)])


def ids(dataset):
    return [item.id for item in dataset.items]


def test_split_is_deterministic_disjoint_and_complete():
    data = numbered(30)
    dev, held = data.split(0.3, seed=7)
    assert (dev.name, held.name) == ("n-dev", "n-held-out")
    assert len(dev.items) == 9 and len(held.items) == 21
    assert set(ids(dev)).isdisjoint(ids(held)) and set(ids(dev)) | set(ids(held)) == set(ids(data))
    assert (ids(dev), ids(held)) == tuple(map(ids, data.split(0.3, seed=7)))
    assert ids(dev) == sorted(ids(dev), key=int)  # items keep their order
    assert ids(data.split(0.3, seed=8)[0]) != ids(dev)


@pytest.mark.parametrize("fraction", [0.01, 0.5, 0.99])
def test_split_leaves_both_parts_non_empty_from_two_items(fraction):
    dev, held = numbered(2).split(fraction)
    assert len(dev.items) == 1 and len(held.items) == 1


def test_split_rejects_a_fraction_outside_zero_and_one():
    with pytest.raises(ValueError, match="dev_fraction"):
        numbered(4).split(1.0)


def test_head_takes_the_first_items():
    assert ids(numbered(5).head(2)) == ["0", "1"]
    assert ids(numbered(2).head(10)) == ["0", "1"]


def test_a_dataset_rejects_duplicate_ids():
    with pytest.raises(ValueError, match="the id 'a' is used by more than one item"):
        Dataset(name="d", kind="open", items=[Item(id="a", prompt="x"), Item(id="a", prompt="y")])


# ------------------------------------------------------------------------------------------ shipped datasets

EXPECTED = {
    "arithmetic": (30, "numeric"),
    "factual": (30, "exact"),
    "python": (20, "code"),
    "instructions": (20, "open"),
    "choice": (20, "choice"),
}
SHIPPED = shipped_datasets()


def test_the_shipped_datasets_have_their_sizes_and_kinds():
    assert {name: (len(d.items), d.kind) for name, d in SHIPPED.items()} == EXPECTED
    for dataset in SHIPPED.values():
        assert dataset.source == "written for Archon Studio" and dataset.description


def test_shipped_ids_are_unique_across_all_sets():
    every = [item.id for d in SHIPPED.values() for item in d.items]
    assert len(every) == len(set(every))


def test_shipped_items_have_what_their_kind_needs():
    assert all(i.reference and i.reference.isdigit() for i in SHIPPED["arithmetic"].items)
    assert all(i.reference and isinstance(i.metadata["aliases"], list) for i in SHIPPED["factual"].items)
    assert not any("capital of france" in i.prompt.lower() for i in SHIPPED["factual"].items)
    assert all(i.reference is None for i in SHIPPED["instructions"].items)
    for item in SHIPPED["choice"].items:
        assert len(item.choices) == 4 and item.reference in "ABCD"
        assert f"{item.reference}. {item.choices['ABCD'.index(item.reference)]}" in item.prompt
    assert sorted(i.reference for i in SHIPPED["choice"].items) == sorted("ABCD" * 5)  # answers spread evenly


def test_get_dataset_by_name_or_path(tmp_path):
    assert get_dataset("arithmetic") == SHIPPED["arithmetic"]
    path = jsonl(tmp_path / "mine.jsonl", {"prompt": "Hi"})
    assert get_dataset(str(path)).name == "mine"


def test_the_shipped_datasets_are_copies():
    shipped_datasets()["factual"].items.clear()
    assert len(shipped_datasets()["factual"].items) == 30


@pytest.mark.parametrize("item", SHIPPED["python"].items, ids=lambda item: item.id)
def test_each_shipped_python_solution_passes_its_tests_and_a_wrong_one_fails(item):
    assert item.entry_point and f"`{item.entry_point}(" in item.prompt
    assert f"def {item.entry_point}(" in item.metadata["solution"]
    assert run_python(item.metadata["solution"] + "\n" + item.tests)
    wrong = f"def {item.entry_point}(*args, **kwargs):\n    return None\n"
    assert not run_python(wrong + "\n" + item.tests)
