"""A dataset rendered by Dask workers through the API equals
`promptpack render --batch` byte for byte: the pack travels to two worker
processes by pickle, each partition renders with `Pack.render_batch`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Union

import dask.bag
from distributed import Client, LocalCluster

import promptpack
from conftest import run, write_pack

ROWS = 100_000


def make_row(i: int) -> dict[str, Any]:
    """Row `i`: text that needs JSON escaping, numbers, lists; every 9973rd misses `name`."""
    row: dict[str, Any] = {"i": i, "name": f"user \"{i}\"\té", "tags": [f"t{i % 7}", i % 3 == 0], "score": i / 8}
    if i % 9973 == 0:
        del row["name"]
    return row


def record(row: int, result: Union[str, promptpack.RowError]) -> str:
    """The CLI's JSONL record for a row (serde_json's compact form)."""
    if isinstance(result, str):
        fields: dict[str, Any] = {"row": row, "text": result}
    else:
        fields = {"row": row, "error": result.message, "line": row}
        if result.hint is not None:
            fields["hint"] = result.hint
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"


def render_partition(partition: Iterable[dict[str, Any]], pack: promptpack.Pack) -> list[str]:
    # A partition may be a one-shot iterator: render_batch reads ahead of the
    # results, so keep the rows to pair them with their results.
    rows = list(partition)
    results = pack.render_batch(rows, jobs=1)
    return [record(row["i"] + 1, result) for row, result in zip(rows, results)]


def test_dask_bag_matches_the_cli_batch(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path / "dataset",
        '[pack]\nname = "dataset"\nversion = "1.0.0"\n[templates.row]\nfile = "row.md.j2"\n'
        "[variables.name]\nrequired = true\n[variables.tags]\ntype = \"list\"\nrequired = false\n",
        {"row.md.j2": "# {{ name | upper }}\n{% for tag in tags %}- {{ tag }}\n{% endfor %}score: {{ score }}\n"},
    )
    rows_file = tmp_path / "rows.jsonl"
    with rows_file.open("w") as out:
        for i in range(ROWS):
            out.write(json.dumps(make_row(i), ensure_ascii=False) + "\n")
    cli = run(["render", str(folder), "--batch", str(rows_file)])
    assert cli.returncode == 1  # some rows fail, on purpose

    pack = promptpack.load_pack(folder)
    # Dask's own functions are untyped; our side of the calls is checked.
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with cluster, Client(cluster):  # type: ignore[no-untyped-call]
        bag = dask.bag.range(ROWS, npartitions=16).map(make_row)  # type: ignore[no-untyped-call]
        records = bag.map_partitions(render_partition, pack).compute()
    assert "".join(records).encode() == cli.stdout
