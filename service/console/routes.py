"""A page group's routes, recorded by its module and registered on the console blueprint by the package."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint

View = TypeVar("View", bound=Callable[..., Any])


class Routes:
    """Collect a page group's views with their URL rules; the endpoint is the view's name, as with Flask's."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, Callable[..., Any], tuple[str, ...]]] = []

    def route(self, rule: str, methods: list[str]) -> Callable[[View], View]:
        """Return a decorator that records a view for `rule` and `methods`."""
        def record(view: View) -> View:
            self.rules.append((rule, view, tuple(methods)))
            return view
        return record

    def get(self, rule: str) -> Callable[[View], View]:
        """Return a decorator that records a GET view."""
        return self.route(rule, ["GET"])

    def post(self, rule: str) -> Callable[[View], View]:
        """Return a decorator that records a POST view."""
        return self.route(rule, ["POST"])

    def register(self, blueprint: Blueprint) -> None:
        """Add every recorded view to the blueprint."""
        for rule, view, methods in self.rules:
            blueprint.add_url_rule(rule, view.__name__, view, methods=list(methods))
