"""meowlab run folders from Python: every table as a ``pyarrow.Table``.

    import meowlab
    run = meowlab.open_run("data/runs/demo-play")
    run.tables()                           # ['decisions', 'events', 'games', 'kyoku']
    games = run.table("games")             # pyarrow.Table
    steps = run.table("samples", columns=["update", "reward"])

The Rust store reads the files (checking ``run.json``, the schemas and every shard) and
hands the batches over through the Arrow C stream interface without a copy; Hive
partition folders (``samples/update=3/actor=1/``) become columns. A missing or damaged
run raises ``meowlab.MeowlabError`` with the message the CLI prints.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from meowlab._native import open_run as _open_run


class Run:
    """An opened run folder."""

    def __init__(self, path: str | os.PathLike):
        self._run = _open_run(os.fspath(path))
        self.meta: dict[str, Any] = json.loads(self._run.meta_json())

    @property
    def path(self) -> str:
        return str(self._run.path)

    def tables(self) -> list[str]:
        """Tables with at least one finished shard."""
        return self._run.tables()

    def table(self, name: str, columns: Sequence[str] | None = None):
        """The whole table (only ``columns`` when given) as a ``pyarrow.Table``."""
        import pyarrow as pa

        return pa.table(self._run.read(name, None if columns is None else list(columns)))

    def polars(self, name: str, columns: Sequence[str] | None = None):
        """The table as a ``polars.DataFrame``."""
        import polars as pl

        return pl.from_arrow(self.table(name, columns))

    def __repr__(self) -> str:
        return f"Run({self.path!r}, kind={self.meta.get('kind')!r})"


def open_run(path: str | os.PathLike) -> Run:
    """Opens the run folder at ``path``."""
    return Run(path)
