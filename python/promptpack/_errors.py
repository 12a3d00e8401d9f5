"""The exceptions promptpack raises: one hierarchy under `promptpack.Error`.

Each carries what went wrong (`str(error)` is the text the CLI prints after
`error: `), where (`file`, `line`, `column`, when known) and what to do
(`hint`). They pickle, so they cross process boundaries (multiprocessing,
Dask, Ray) intact.
"""

from __future__ import annotations

# `typing` costs milliseconds to import; annotations need it only for checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


class Error(Exception):
    """Base class of every promptpack error.

    >>> try:
    ...     pack.render(role=None, unknown=1)
    ... except promptpack.Error as error:
    ...     print(error.hint)
    """

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    hint: Optional[str]
    message: str

    def __init__(
        self,
        text: str,
        *,
        message: Optional[str] = None,
        hint: Optional[str] = None,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(text)
        self.message = message if message is not None else text.split("\n", 1)[0]
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column

    def __reduce__(self) -> Any:
        # Keyword-only fields travel in the state, which BaseException restores.
        return (type(self), self.args, self.__dict__)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PackError(Error):
    """A pack cannot be loaded: no or an invalid pack.toml, an unreadable
    file, an unknown template or fixture."""


class VariableError(Error):
    """The variables do not fit the pack's declarations: a required one is
    missing, a value has the wrong type, or a value has no JSON form."""


class RenderError(Error):
    """A template failed to compile or render; `file`/`line`/`column` point at it."""


class UndefinedVariableError(RenderError):
    """A template printed or iterated a value that was neither passed nor declared."""


class IntegrityError(Error):
    """Bytes do not match what was pinned: an installed file edited by hand
    (`file` names it), a registry that changed, a pickled pack altered."""


class RegistryError(Error):
    """A registry or git source could not be read."""


class ProjectError(Error):
    """No promptpack.toml, an invalid one, or a pack that is not a dependency."""


class RowError(Error):
    """One failed row of `Pack.render_batch`: yielded in the row's place (or
    raised with `fail_fast=True`). `row` is its 1-based position, as in the
    CLI's batch records; `message` is the record's `error`."""

    row: int

    def __init__(self, text: str, *, row: int = 0, **fields: Any) -> None:
        super().__init__(text, **fields)
        self.row = row
