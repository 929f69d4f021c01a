"""Importers of external data into the graph: person registers (``import register``).

- ``mapping``: the documented CSV layout, mapping files for other layouts, date formats;
- ``places``: matching camp and place names as written to the curated places and camps;
- ``register``: the streaming import itself, written atomically into registers/<SLUG>/;
- ``commands``: the ``siberia-kg import`` command group.

docs/registers.md describes the layout, the mapping file, the privacy rule and the outputs.
"""

from .register import ImportResult, RegisterError, import_register

__all__ = ["ImportResult", "RegisterError", "import_register"]
