"""YAML for files people write (scripts, avatars, templates): no aliases, no duplicate keys, bounded nesting.

PyYAML's safe loader still expands aliases (a few lines can grow past gigabytes), nests as deep as the
text goes (until Python's recursion limit), and lets a later duplicate key silently win (a draft status
overridden further down). Each of these is refused here as a YAML error with a line and column.
"""

from __future__ import annotations

import yaml

DEFAULT_MAX_DEPTH = 12


class _Loader(yaml.SafeLoader):
    max_depth = DEFAULT_MAX_DEPTH

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _error(event.start_mark, f"an alias (*{event.anchor}) is not allowed: write the value out")
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _error(event.start_mark, f"nested more than {self.max_depth} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_object(key_node)
                if key in seen:
                    raise _error(key_node.start_mark, f"the key '{key}' appears twice: keep one")
                seen.add(key)
        return super().construct_mapping(node, deep)


def _error(mark, problem: str) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=mark)


def load_yaml(text: str, max_depth: int = DEFAULT_MAX_DEPTH):
    """Parse ``text``; raises ``yaml.YAMLError`` (with ``problem`` and ``problem_mark``) on bad input."""
    loader = _Loader(text)
    loader.max_depth = max_depth
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def describe_error(error: yaml.YAMLError) -> str:
    """Where and what, to follow a file name: ' at line 3, column 1: the key 'status' appears twice: keep one'."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{where}: {getattr(error, 'problem', None) or str(error).splitlines()[0] or 'syntax error'}"
