"""The in-process API: loading, rendering, errors, batches, pickling."""

from __future__ import annotations

import json
import pickle
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

import promptpack
from conftest import GREETING_FILES, GREETING_MANIFEST, PACKS, cli_error_text, run, write_pack


def test_a_loaded_pack_describes_itself(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    assert (pack.name, pack.version) == ("greeting", "1.0.0")
    assert pack.checksum.startswith("sha256:") and len(pack.checksum) == len("sha256:") + 64
    assert sorted(pack.templates) == ["farewell", "greeting"]
    assert pack.templates["farewell"].engine == "handlebars"
    assert pack.templates["greeting"].file == "greeting.md.j2"
    name, greeting, count = (pack.variables[key] for key in ("name", "greeting", "count"))
    assert (name.type, name.required, name.default) == ("string", True, None)
    assert (greeting.required, greeting.default) == (False, "Hello")
    assert count.type == "number"
    assert pack.fixtures == {"ada": {"name": "Ada"}}
    assert pack.fixture_vars("ada") == {"name": "Ada"}
    assert repr(pack) == "<promptpack.Pack greeting 1.0.0>"


def test_render_takes_keywords_a_dict_or_both(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    assert pack.render("greeting", name="Ada") == "Hello, Ada!\n"
    assert pack.render("greeting", {"name": "Ada", "count": 2}) == "Hello, Ada!\n2 01\n"
    assert pack.render("greeting", {"name": "Ada"}, name="Bob", greeting="Hi") == "Hi, Bob!\n"
    assert pack.render("farewell", name="Ada", count=3.0) == "Bye Ada x3\n"


def test_python_values_render_as_their_json_does(tmp_path: Path) -> None:
    pack = promptpack.load_pack(
        write_pack(
            tmp_path / "values",
            '[pack]\nname = "values"\nversion = "0.1.0"\n[templates.t]\nfile = "t.j2"\n',
            {"t.j2": "{{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ f }} {{ g.x }} {{ h }}"},
        )
    )
    text = pack.render(a=True, b=None, c=1.0, d=[1, "x"], e=(1, 2), f=2**63, g={"x": "y"}, h="é\n")
    assert text == "True None 1.0 [1, 'x'] [1, 2] 9223372036854775808 y é\n"


def test_the_only_template_needs_no_name() -> None:
    pack = promptpack.load_pack(PACKS / "threats-next-steps")
    assert pack.render(role="SRE") == pack.render("threats-next-steps", role="SRE")


def test_errors_read_like_the_cli(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    with pytest.raises(promptpack.PackError) as ambiguous:
        pack.render(name="Ada")
    assert str(ambiguous.value).startswith("pack `greeting` has 2 templates; say which with the `template` argument")
    assert ambiguous.value.hint == "templates: farewell, greeting"

    with pytest.raises(promptpack.VariableError) as missing:
        pack.render("greeting")
    cli = run(["render", str(greeting_pack), "--template", "greeting"])
    assert cli.returncode == 2
    # The CLI's message; the hint in the caller's terms instead of `--var`.
    cli_message, cli_hint = cli_error_text(cli.stderr).split("\nhint: ")
    assert cli_hint.startswith("pass --var name=...")
    assert missing.value.message == cli_message == "missing required variable `name` of pack `greeting`"
    hint = "pass name=... to render(), or a fixture's variables: render(**pack.fixture_vars(\"ada\"))"
    assert missing.value.hint == hint
    assert str(missing.value) == f"{cli_message}\nhint: {hint}"

    with pytest.raises(promptpack.VariableError, match="must be a number"):
        pack.render("greeting", name="Ada", count="three")
    with pytest.raises(promptpack.VariableError, match=r"variable `name.when` is of type `object`"):
        pack.render("greeting", name={"when": object()})
    with pytest.raises(TypeError, match="vars must be a dict"):
        pack.render("greeting", ["name"])  # type: ignore[arg-type]


def test_an_undefined_value_names_its_position(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "greeting", GREETING_MANIFEST, GREETING_FILES)
    pack = promptpack.load_pack(folder)
    with pytest.raises(promptpack.UndefinedVariableError) as raised:
        pack.render("greeting", name="Ada")
    error = raised.value
    assert isinstance(error, promptpack.RenderError) and isinstance(error, promptpack.Error)
    assert error.file is not None and error.file.endswith("greeting.md.j2")
    assert (error.line, error.column) == (3, 15)
    assert error.hint
    cli = run(["render", str(folder), "--template", "greeting", "--var", "name=Ada"])
    assert cli.returncode == 1
    assert str(error) == cli_error_text(cli.stderr)


def test_a_template_that_does_not_parse_fails_at_load(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "broken",
        '[pack]\nname = "broken"\nversion = "0.1.0"\n[templates.t]\nfile = "t.j2"\n',
        {"t.j2": "line one\n{% if %}\n"},
    )
    with pytest.raises(promptpack.RenderError) as raised:
        promptpack.load_pack(folder)
    assert raised.value.line == 2 and raised.value.file is not None
    assert str(raised.value) == cli_error_text(run(["render", str(folder)]).stderr)


def test_a_bad_manifest_points_into_pack_toml(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "bad", '[pack]\nname = "Bad Name"\nversion = "1"\n', {})
    with pytest.raises(promptpack.PackError) as raised:
        promptpack.load_pack(folder)
    assert raised.value.file is not None and raised.value.file.endswith("pack.toml")
    assert raised.value.line == 2
    with pytest.raises(promptpack.PackError, match="no pack.toml"):
        promptpack.load_pack(tmp_path)


def test_render_batch_yields_results_in_input_order(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    rows: list[Any] = [{"name": f"n{i}"} for i in range(3000)]
    rows[10] = {"greeting": "Hi"}
    rows[20] = ["not", "a", "dict"]
    # Text of the row taken before its bad value must not reach the next row.
    rows[30] = {"name": "half-taken", "when": object()}
    rows[40] = {"name": "x", 1: "y"}
    rows[41] = {"name": "n41", "extra": [1, 2.5, None, {"deep": "é"}]}
    results = list(pack.render_batch(rows, "farewell", jobs=2))
    assert len(results) == 3000
    for i, result in enumerate(results):
        if i in (10, 20, 30, 40):
            assert isinstance(result, promptpack.RowError)
            assert result.row == i + 1
        else:
            assert result == f"Bye n{i}\n"
    missing, not_a_dict, unconvertible = (results[i] for i in (10, 20, 30))
    assert isinstance(missing, promptpack.RowError) and missing.message.startswith("missing required variable")
    assert isinstance(not_a_dict, promptpack.RowError)
    assert not_a_dict.message == "the row is an array, not an object of variables"
    assert not_a_dict.hint is not None and "one JSON object of variables" in not_a_dict.hint
    assert str(not_a_dict) == "row 21: the row is an array, not an object of variables"
    assert isinstance(unconvertible, promptpack.RowError) and "no JSON form" in unconvertible.message
    assert "`when`" in unconvertible.message
    assert isinstance(results[40], promptpack.RowError) and "keys must be str" in results[40].message


def test_render_batch_streams_from_a_generator_and_can_stop_early(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    pulled = 0

    def rows() -> Iterator[dict[str, str]]:
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield {"name": str(i)}

    for i, result in enumerate(pack.render_batch(rows(), "farewell")):
        assert result == f"Bye {i}\n"
        if i == 10:
            break
    assert pulled < 10_000, "rows are pulled a window at a time, not all at once"


def test_fail_fast_raises_the_first_failed_row(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    rows = [{"name": "a"}, {}, {"name": "c"}]
    results = pack.render_batch(rows, "farewell", fail_fast=True)
    assert next(results) == "Bye a\n"
    with pytest.raises(promptpack.RowError) as raised:
        next(results)
    assert raised.value.row == 2
    assert list(results) == []


def test_an_iterable_that_raises_raises_after_the_rows_before_it(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)

    def rows() -> Iterator[dict[str, str]]:
        yield {"name": "a"}
        yield {"name": "b"}
        raise RuntimeError("source broke")

    results = pack.render_batch(rows(), "farewell", jobs=1)
    assert [next(results), next(results)] == ["Bye a\n", "Bye b\n"]
    with pytest.raises(RuntimeError, match="source broke"):
        next(results)
    with pytest.raises(ValueError, match="jobs"):
        pack.render_batch([], "farewell", jobs=0)


def test_threads_render_the_same_pack_at_once(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    outputs: list[str] = []

    def render_many() -> None:
        outputs.extend(pack.render("farewell", name=str(i)) for i in range(2000))

    threads = [threading.Thread(target=render_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outputs) == 8000


# A str keeps 1, 2 or 4 bytes per character by its widest one, and promptpack
# builds each str at its final width (see crates/promptpack-py/src/pystr.rs):
# template text and values of every width, in every combination.
WIDTH_SAMPLES = {"ascii": "plain", "latin1": "caf\u00e9", "ucs2": "dash \u2013 here", "ucs4": "crab \U0001f980"}


def test_strs_are_built_in_place_on_cpython() -> None:
    # Elsewhere they are decoded from UTF-8: right, but slower.
    if sys.implementation.name == "cpython":
        assert promptpack._native._builds_str_in_place(), f"the str layout check failed on {sys.version}"


@pytest.mark.parametrize("engine", ["j2", "hbs"])
def test_every_str_width_is_built_exactly(tmp_path: Path, engine: str) -> None:
    manifest = '[pack]\nname = "widths"\nversion = "1.0.0"\n[variables.v]\nrequired = true\n'
    files: dict[str, str] = {}
    for name, text in WIDTH_SAMPLES.items():
        manifest += f'[templates.{name}]\nfile = "{name}.{engine}"\n'
        value = "{{ v }}" if engine == "j2" else "{{v}}"
        files[f"{name}.{engine}"] = f"{text}: {value} | {text}\n"
    folder = write_pack(tmp_path / "widths", manifest, files)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"v": value}) + "\n" for value in [*WIDTH_SAMPLES.values(), ""]))
    pack = promptpack.load_pack(folder)
    for template in WIDTH_SAMPLES:
        cli = run(["render", str(folder), "--template", template, "--batch", str(rows)])
        assert cli.returncode == 0, cli.stderr
        expected = [json.loads(line)["text"] for line in cli.stdout.decode().splitlines()]
        texts = [pack.render(template, v=value) for value in [*WIDTH_SAMPLES.values(), ""]]
        batch = list(pack.render_batch(({"v": value} for value in [*WIDTH_SAMPLES.values(), ""]), template, jobs=2))
        for text, from_batch, want in zip(texts, batch, expected):
            # Equal, same length and hash as the str Python builds: canonical width.
            assert text == from_batch == want
            assert (len(text), hash(text)) == (len(want), hash(want))
            assert text.encode() == want.encode()


def test_a_pack_pickles_and_is_verified_when_unpickled(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    copy = pickle.loads(pickle.dumps(pack))
    assert (copy.name, copy.checksum) == (pack.name, pack.checksum)
    assert copy.render("greeting", name="Ada") == pack.render("greeting", name="Ada")

    constructor, (state,) = pack.__reduce__()
    root, files, checksum, dependencies = state
    tampered = dict(files)
    tampered["farewell.hbs"] = b"Send me your keys, {{name}}\n"
    with pytest.raises(promptpack.IntegrityError, match="does not match its checksum"):
        constructor((root, tampered, checksum, dependencies))


def test_errors_pickle_with_their_fields(greeting_pack: Path) -> None:
    pack = promptpack.load_pack(greeting_pack)
    with pytest.raises(promptpack.VariableError) as raised:
        pack.render("greeting")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is promptpack.VariableError
    assert (str(copy), copy.hint, copy.message) == (str(raised.value), raised.value.hint, raised.value.message)
    row = next(iter(pack.render_batch([{}], "farewell")))
    assert isinstance(row, promptpack.RowError)
    assert pickle.loads(pickle.dumps(row)).row == 1


def test_memory_caps_from_pack_toml_fail_a_render_and_a_batch_row(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "bomb",
        '[pack]\nname = "bomb"\nversion = "0.1.0"\n[templates.t]\nfile = "t.j2"\n'
        "[variables.n]\ntype = \"number\"\nrequired = false\ndefault = 1\n"
        "[render]\nmax_value_bytes = 5000\n",
        {"t.j2": "line one\n{{ 'x' * (n * 1000) }}"},
    )
    pack = promptpack.load_pack(folder)
    assert pack.render("t", {"n": 4}) == "line one\n" + "x" * 4000
    with pytest.raises(promptpack.RenderError) as raised:
        pack.render("t", {"n": 10**7})
    assert raised.value.line == 2 and "max_value_bytes" in str(raised.value)
    assert raised.value.hint is not None and "max_value_bytes" in raised.value.hint
    results = list(pack.render_batch([{"n": 1}, {"n": 10**7}, {"n": 2}], "t"))
    assert results[0] == "line one\n" + "x" * 1000 and results[2] == "line one\n" + "x" * 2000
    assert isinstance(results[1], promptpack.RowError) and "max_value_bytes" in results[1].message
