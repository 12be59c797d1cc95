"""``python -m archon_engine serve``: clear messages and exit status 2 instead of a traceback; then uvicorn."""

import json

import pytest

from archon_engine.cli import main
from archon_engine.serve import server
from tests.serve.served import TWO_LAYERS


@pytest.fixture
def design(tmp_path) -> str:
    path = tmp_path / "two-layers.json"
    path.write_text(json.dumps(TWO_LAYERS), encoding="utf-8")
    return str(path)


@pytest.fixture
def uvicorn_run(monkeypatch) -> dict:
    """uvicorn.run replaced: what it would have served, without listening."""
    started: dict = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    return started


def test_serve_refuses_another_address_without_an_api_key(design, capsys, uvicorn_run):
    assert main(["serve", design, "--host", "0.0.0.0"]) == 2

    assert "refusing to listen on 0.0.0.0 without --api-key" in capsys.readouterr().err
    assert uvicorn_run == {}


def test_serve_with_a_key_may_listen_on_another_address(design, tmp_path, capsys, uvicorn_run):
    code = main(["serve", design, "--host", "0.0.0.0", "--port", "9001", "--api-key", "a-long-key", "--local",
                 "--store", str(tmp_path / "runs.sqlite")])  # fmt: skip

    assert code == 0
    assert (uvicorn_run["host"], uvicorn_run["port"]) == ("0.0.0.0", 9001)
    err = capsys.readouterr().err
    assert "serving two-layers at http://0.0.0.0:9001/v1" in err and "a-long-key" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "nowhere.json"], "nowhere.json: cannot read the file"),
        (["serve"], "nothing to serve"),
    ],
)
def test_a_bad_config_gives_one_clear_message(argv, message, capsys, uvicorn_run):
    assert main(argv) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_a_design_needing_a_key_the_server_lacks_is_refused_at_start(tmp_path, capsys, monkeypatch, uvicorn_run):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    path = tmp_path / "claude.json"
    path.write_text(json.dumps({"layers": [[{"type": "generator", "model": "anthropic/claude-x"}]]}), encoding="utf-8")

    assert main(["serve", str(path)]) == 2

    assert "no API key for anthropic" in capsys.readouterr().err and uvicorn_run == {}
