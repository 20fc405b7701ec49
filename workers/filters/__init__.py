"""The filter registry: names map to filter classes; configuration picks which run, in which order."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from workers.filters.base import Action, CommentInput, Filter, FilterContext, Span, Verdict

REGISTRY: dict[str, type] = {}

T = TypeVar("T", bound=type)


def register(cls: T) -> T:
    """Add a filter class to the registry under its `name` (used as a class decorator)."""
    REGISTRY[cls.name] = cls
    return cls


def build_filters(names: tuple[str, ...] | list[str], options: dict[str, Any]) -> list[Filter]:
    """Instantiate the named filters in order; each takes the options it knows from `options`."""
    _load_builtin_filters()
    missing = [n for n in names if n not in REGISTRY]
    if missing:
        raise ValueError(f"unknown filters: {', '.join(missing)}; known: {', '.join(sorted(REGISTRY))}")
    return [REGISTRY[name].from_options(options) for name in names]


def _load_builtin_filters() -> None:
    # Importing the modules runs their @register decorators.
    import importlib
    import pkgutil

    import workers.filters as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in ("base", "normalise") and not module.name.startswith("_"):
            importlib.import_module(f"workers.filters.{module.name}")


__all__ = [
    "Action", "CommentInput", "Filter", "FilterContext", "Span", "Verdict", "REGISTRY", "register",
    "build_filters",
]
