"""Scorers: how an output is judged against an item. ``registry.get(name)`` builds one."""
