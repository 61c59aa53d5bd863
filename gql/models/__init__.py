"""The tables, one module per domain.

Importing this package imports every module in it, so SQLModel.metadata knows every table
(Alembic reads it): a new domain's tables are a new module here, not an edit of a list.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
