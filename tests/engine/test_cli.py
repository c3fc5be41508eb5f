"""The `equimentor match` command and the JSON schemas."""

from __future__ import annotations

import json

import jsonschema
import pytest

from equimentor.engine.cli import main
from equimentor.engine.generate import generate_instance

BASE = {
    "mentors": [{"id": "a", "capacity": 1}, {"id": 5, "capacity": 1}],
    "mentees": [{"id": "m-1", "choices": ["a"]}, {"id": "m-77", "choices": ["a", 5]}],
}


def _write(tmp_path, data, name="inst.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_match_to_stdout(tmp_path, capsys, result_schema):
    assert main([_write(tmp_path, BASE)]) == 0
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, result_schema)
    assert [(a["mentee"], a["mentor"], a["via"]) for a in out["assignments"]] == [
        ("m-1", "a", "choice"),
        ("m-77", 5, "choice"),
    ]
    assert out["assignments"][1]["choice_rank"] == 2
    assert out["metrics"]["matched"] == 2


def test_out_file_and_stable_only(tmp_path, capsys, result_schema):
    data = {
        "mentors": [{"id": "a", "capacity": 1}, {"id": "b", "capacity": 1}],
        "mentees": [{"id": 1, "choices": ["a"]}, {"id": 2, "choices": ["a"]}],
    }
    inst = _write(tmp_path, data)
    out_path = tmp_path / "result.json"
    assert main([inst, "--stable-only", "--out", str(out_path)]) == 0
    assert capsys.readouterr().out == ""
    out = json.loads(out_path.read_text())
    jsonschema.validate(out, result_schema)
    assert out["metrics"]["fallback"] == 0 and out["metrics"]["unmatched"] == 1
    assert "fallback to free places was not run" in out["unmatched"][0]["reason"]
    assert main([inst, "--out", str(out_path)]) == 0
    out = json.loads(out_path.read_text())
    assert out["metrics"]["fallback"] == 1 and out["metrics"]["unmatched"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {**BASE, "mentees": [{"id": "m-1", "choices": ["x-9"]}]},
            'mentees[0] (id "m-1"): choice "x-9" is not a known mentor id',
        ),
        (
            {**BASE, "mentors": [{"id": "a", "capacity": 1}, {"id": 5, "capacity": -1}]},
            "mentors[1] (id 5): capacity must be a whole number ≥ 0, got -1",
        ),
        (
            {**BASE, "mentors": [{"id": "a", "capacity": 1}, {"id": "a", "capacity": 2}]},
            'mentors[1] (id "a"): duplicate mentor id "a" (also mentors[0])',
        ),
        ('{"mentors": [\n  {"id": "a",, }\n]}', "invalid JSON at line 2, column 14"),
        ("[1, 2]", "the instance must be a JSON object"),
    ],
)
def test_errors_exit_2_with_clear_message(tmp_path, capsys, content, message):
    assert main([_write(tmp_path, content)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.startswith("equimentor match: error: ")
    assert "Traceback" not in captured.err and captured.out == ""


def test_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert main([str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: no such file" in err and "Traceback" not in err


def test_usage_error_exit_2(capsys):
    assert main([]) == 2
    assert "usage: equimentor match" in capsys.readouterr().err


def test_schemas_validate_generated_instance_and_result(tmp_path, capsys, instance_schema):
    data = generate_instance(300, 80, seed=3)
    data["pinned"] = []
    jsonschema.Draft202012Validator.check_schema(instance_schema)
    jsonschema.validate(data, instance_schema)
    assert main([_write(tmp_path, data)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["mentees"] == 300 and out["metrics"]["blocking_pairs"] == 0


def test_result_schema_on_generated_result(tmp_path, capsys, result_schema):
    jsonschema.Draft202012Validator.check_schema(result_schema)
    assert main([_write(tmp_path, generate_instance(300, 80, seed=4))]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), result_schema)


def test_schema_rejects_what_the_loader_rejects(instance_schema):
    bad = {**BASE, "mentors": [{"id": "a", "capacity": -1}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, instance_schema)


def test_only_the_command_pauses_the_garbage_collector(tmp_path, capsys, monkeypatch):
    """``match`` may run inside a multithreaded web server: it never touches the collector;
    the command (a process that only matches) pauses it and restores it."""
    import gc

    from equimentor.engine import instance_from_dict, match

    calls = []
    real_disable = gc.disable

    def refuse():
        raise AssertionError("the library paused the garbage collector")

    monkeypatch.setattr(gc, "disable", refuse)
    result = match(instance_from_dict(generate_instance(60, 20, seed=5)))
    assert result.metrics["matched"] > 0 and len(result.assignments) == result.metrics["matched"]

    def record():
        calls.append(gc.isenabled())
        real_disable()

    monkeypatch.setattr(gc, "disable", record)
    assert main([_write(tmp_path, BASE)]) == 0
    assert calls == [True] and gc.isenabled()
    capsys.readouterr()


def test_files_read_as_before_fast_parser_or_not(tmp_path, capsys):
    """Strict JSON is read by orjson; anything else by the standard library as before: a
    NaN is still accepted, and bad files get the same messages."""
    nan = '{"mentors": [{"id": "a", "capacity": 1, "attributes": {"x": NaN}}], "mentees": []}'
    assert main([_write(tmp_path, nan)]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["mentees"] == 0
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"mentors": [], "mentees": [], "name": "Zoë"}'.encode("latin-1"))
    assert main([str(bad)]) == 2
    assert "not UTF-8 text (invalid continuation byte at byte 42)" in capsys.readouterr().err
