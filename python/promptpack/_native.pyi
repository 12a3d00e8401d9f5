"""Type stubs of the Rust extension module (crates/promptpack-py)."""

import os
import pathlib
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence, Union, final

from promptpack._errors import RowError

__version__: str
__all__ = ["BatchResults", "Pack", "Project", "Template", "Variable", "__version__", "_builds_str_in_place", "_pack_from_pickle", "load_pack", "run_cli"]

_Path = Union[str, "os.PathLike[str]"]

@final
class Template:
    """A template a pack declares."""

    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str:
        """The template file, relative to the pack folder."""
    @property
    def engine(self) -> str:
        """`"jinja"` or `"handlebars"`."""
    @property
    def description(self) -> Optional[str]: ...

@final
class Variable:
    """A variable a pack declares."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str:
        """`"string"`, `"number"`, `"bool"`, `"list"` or `"object"`."""
    @property
    def required(self) -> bool: ...
    @property
    def default(self) -> Any:
        """The declared default, or `None`."""
    @property
    def description(self) -> Optional[str]: ...

@final
class BatchResults(Iterator[Union[str, RowError]]):
    """The results of `Pack.render_batch`, one per row, in input order."""

    def __iter__(self) -> "BatchResults": ...
    def __next__(self) -> Union[str, RowError]: ...

@final
class Pack:
    """A prompt pack, loaded and compiled: render it as often as you like.

    >>> pack = promptpack.load_pack("packs/threats-next-steps")
    >>> text = pack.render(role="security engineer")
    """

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def checksum(self) -> str:
        """`sha256:...` over every file (overrides included): what promptpack.lock records."""
    @property
    def description(self) -> Optional[str]: ...
    @property
    def templates(self) -> dict[str, Template]: ...
    @property
    def variables(self) -> dict[str, Variable]: ...
    @property
    def fixtures(self) -> dict[str, dict[str, Any]]:
        """Fixture name -> its variables."""
    def render(
        self, template: Optional[str] = None, vars: Optional[Mapping[str, Any]] = None, /, **kwargs: Any
    ) -> str:
        """Renders a template: exactly the bytes `promptpack render` prints.

        `template` may be left out when the pack has one template. Variables
        come from `vars` and keyword arguments (which win); declared defaults
        fill the rest.

        >>> pack.render(role="SRE")
        >>> pack.render("threats-next-steps", {"role": "SRE"})
        """
    def fixture_vars(self, fixture: str) -> dict[str, Any]:
        """The variables of a fixture: `pack.render(**pack.fixture_vars("sre"))`."""
    def render_batch(
        self,
        rows: Iterable[Mapping[str, Any]],
        template: Optional[str] = None,
        jobs: Optional[int] = None,
        fail_fast: bool = False,
    ) -> BatchResults:
        """Renders one row of variables at a time on Rust threads (the GIL
        released) and yields each result in input order: a `str`, or a
        `RowError` for a failed row (raised instead with `fail_fast=True`).

        >>> for text in pack.render_batch({"role": r} for r in roles):
        ...     ...
        """
    def __reduce__(self) -> Any: ...

@final
class Project:
    """A consuming project: promptpack.toml, its lock and its installed packs.

    >>> project = promptpack.Project.discover()
    >>> text = project.render("threats-next-steps", role="SRE")
    """

    @staticmethod
    def discover(path: _Path = ".") -> "Project":
        """The project in `path` or the nearest folder above; `ProjectError` if none."""
    @property
    def root(self) -> "pathlib.Path":
        """The folder holding promptpack.toml."""
    @property
    def packs(self) -> list[str]:
        """Names of the locked packs."""
    def pack(self, name: str) -> Pack:
        """The installed pack, verified file by file against promptpack.lock
        (`IntegrityError` names an edited, added or missing file), overrides
        applied."""
    def render(
        self, name: str, template: Optional[str] = None, vars: Optional[Mapping[str, Any]] = None, /, **kwargs: Any
    ) -> str:
        """Verifies and renders an installed pack: the bytes `promptpack render NAME` prints."""

def load_pack(path: _Path) -> Pack:
    """Loads and compiles the pack in folder `path` (dependencies from sibling folders)."""

def run_cli(argv: Sequence[str]) -> int:
    """Runs the promptpack command line (`argv[0]` is the program name); returns the exit code."""

def _pack_from_pickle(state: Any) -> Pack: ...

def _builds_str_in_place() -> bool:
    """Whether renderings become `str`s built in place rather than decoded from UTF-8 (for the tests)."""
