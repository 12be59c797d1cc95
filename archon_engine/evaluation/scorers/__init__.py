"""Scorers: how an output is judged against an item. The built-in ones are listed here (installed plugins
add theirs, see ``archon_engine.plugins``); ``registry.get(name)`` builds one."""

from archon_engine.evaluation.scorers import code, judge, matching  # noqa: F401  (importing registers them)
