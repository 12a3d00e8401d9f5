"""promptpack: versioned prompt packs, rendered to exactly the bytes Jinja2
and handlebars.js produce, and verified against `promptpack.lock`.

>>> import promptpack
>>> pack = promptpack.load_pack("packs/threats-next-steps")
>>> text = pack.render(role="security engineer")
>>> project = promptpack.Project.discover()
>>> text = project.render("threats-next-steps", role="SRE")
"""

from promptpack._errors import (
    Error,
    IntegrityError,
    PackError,
    ProjectError,
    RegistryError,
    RenderError,
    RowError,
    UndefinedVariableError,
    VariableError,
)
from promptpack._native import (
    BatchResults,
    Pack,
    Project,
    Template,
    Variable,
    __version__,
    load_pack,
)

__all__ = [
    "BatchResults",
    "Error",
    "IntegrityError",
    "Pack",
    "PackError",
    "Project",
    "ProjectError",
    "RegistryError",
    "RenderError",
    "RowError",
    "Template",
    "UndefinedVariableError",
    "Variable",
    "VariableError",
    "__version__",
    "load_pack",
]
