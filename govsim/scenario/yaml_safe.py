"""Read and parse a YAML input file once, within limits, with a line for every problem.

Files are read up to :data:`MAX_BYTES` (``govsim run /dev/zero`` stops there), checked for
characters YAML forbids (a NUL byte is reported by line, not by byte position), composed
once into a node tree (which remembers line numbers) under a nesting limit, a limit on
how many nodes aliases may add (an "alias bomb" of nested anchors is refused at once) and
no recursive alias; the data are then constructed from that same tree. Duplicate keys are
refused, each shared node checked once however often it is referenced.

Every failure is a :class:`~govsim.core.errors.UserInputError` naming the file and the line.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, ScalarEvent, SequenceStartEvent
from yaml.reader import Reader
from yaml.resolver import Resolver

from govsim.core.errors import UserInputError

try:  # libyaml's parser (C) is ten times faster than PyYAML's; composing stays in Python
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner

    class _Parser(_Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


MAX_BYTES = 32 * 2**20
"""Largest input file (32 MiB, about 30 s to read): an explicit city of every Beijing grid is
under 1 MiB."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists; the deepest scenario key is five levels down."""
KEY_PARTS = 6
"""Parts of the key path an error about nesting or aliases names (the deepest scenario key
is five levels down)."""
MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may add to a document in all (each reference counts its anchor's
whole subtree): plenty for shared sections, far too few for an alias bomb."""


class YamlLimitError(yaml.MarkedYAMLError):
    """A document beyond a limit (nesting, alias expansion) or with a recursive alias, at the
    key path where it happens."""

    def __init__(self, problem: str, mark: yaml.Mark, key_path: str | None) -> None:
        super().__init__(None, None, problem, mark)
        self.key_path = key_path


def read_text(path: Path, source: str) -> str:
    """The text of ``path`` (UTF-8), at most :data:`MAX_BYTES`; refuse folders and devices."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UserInputError("no such file", source=source) from None
    except OSError as exc:
        raise UserInputError(
            f"cannot read the file ({exc.strerror or exc})", source=source
        ) from None
    if stat.S_ISDIR(mode):
        raise UserInputError("is a folder, not a file", source=source)
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise UserInputError("is a device, not a file", source=source)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserInputError(
            f"cannot read the file ({exc.strerror or exc})", source=source
        ) from None
    if len(raw) > MAX_BYTES:
        raise UserInputError(
            f"the file is larger than {MAX_BYTES // 2**20} MiB, the most govsim reads",
            source=source,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UserInputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded)",
            source=source,
            line=line,
        ) from None


def check_characters(text: str, source: str) -> None:
    """Refuse the characters YAML does not allow (NUL, other control characters) by line."""
    found = Reader.NON_PRINTABLE.search(text)
    if found is None:
        return
    position = found.start()
    char = found.group()
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    name = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
    raise UserInputError(
        f"{name} at column {column}: YAML does not allow it (is this a binary file?)",
        source=source,
        line=line,
    )


def parse(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The data of ``text`` and the node tree it was constructed from (None if empty)."""
    check_characters(text, source)
    if len(text) > MAX_BYTES:
        raise UserInputError(f"larger than {MAX_BYTES // 2**20} MiB", source=source)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        reject_duplicate_keys(root, source)
        return loader.construct_document(root), root
    except yaml.MarkedYAMLError as exc:
        raise _located(exc, source) from None
    except yaml.YAMLError as exc:
        raise UserInputError(f"malformed YAML: {exc}", source=source) from None
    finally:
        loader.dispose()


def parse_value(text: str, source: str) -> Any:
    """One value written on the command line (``--set key=VALUE``), read as YAML."""
    return parse(text, source)[0] if text.strip() else None


def _located(exc: yaml.MarkedYAMLError, source: str) -> UserInputError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = exc.problem or exc.context or "malformed YAML"
    if (
        exc.context
        and exc.context_mark is not None
        and exc.problem_mark is not None
        and exc.context_mark.line != exc.problem_mark.line
    ):
        problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
    if isinstance(exc, YamlLimitError):
        return UserInputError(problem, source=source, key_path=exc.key_path, line=line)
    return UserInputError(f"malformed YAML: {problem}", source=source, line=line)


def reject_duplicate_keys(root: yaml.Node, source: str) -> None:
    """YAML keeps the last of two equal keys silently; an input file must not.

    Walks the tree in document order without recursion, each node once (a node shared
    through aliases is checked, and named, where it is first reached).
    """
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            children = []
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in keys and key != "<<":
                    raise UserInputError(
                        "duplicate key (YAML would silently keep only the last one)",
                        source=source,
                        key_path=".".join((*path, key)),
                        line=key_node.start_mark.line + 1,
                    )
                keys.add(key)
                children.append((value_node, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            items = [(item, (*path, str(i))) for i, item in enumerate(node.value)]
            stack.extend(reversed(items))


class _LimitedComposer(Composer):
    """PyYAML's composer with a nesting limit, an alias budget and no recursive alias.

    ``compose_node`` is PyYAML's, with the limits added and the scalar case inlined (a big
    file is mostly scalars); the resolver of implicit tags is cached per plain value.
    """

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is being composed
        self._nodes = 0  # nodes composed, aliases counted at their anchor's full size
        self._alias_nodes = 0
        self._size: dict[int, int] = {}  # anchored node -> nodes in its expansion
        self._plain_tags: dict[str, str] = {}
        self._path: list[str | int] = []  # keys of the collections being composed
        self._anchored: dict[str, tuple[str | None, yaml.Mark | None]] = {}  # key path and mark

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            return self._alias(self.get_event(), index)
        if self._depth >= MAX_DEPTH:
            raise YamlLimitError(
                f"nested deeper than {MAX_DEPTH} levels", event.start_mark, self._key(index)
            )
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                raise yaml.composer.ComposerError(
                    f"found duplicate anchor {anchor!r}; first occurrence",
                    self.anchors[anchor].start_mark,
                    "second occurrence",
                    event.start_mark,
                )
            self._open.add(anchor)
            self._anchored[anchor] = (self._key(index), event.start_mark)
        before = self._nodes
        self._nodes += 1
        if isinstance(event, ScalarEvent):
            node = self._scalar(self.get_event())
        else:
            self._depth += 1
            self._path.append(_label(index))
            self.descend_resolver(parent, index)
            if isinstance(event, SequenceStartEvent):
                node = self.compose_sequence_node(anchor)
            else:
                node = self.compose_mapping_node(anchor)
            self.ascend_resolver()
            self._path.pop()
            self._depth -= 1
        if anchor is not None:
            self.anchors[anchor] = node
            self._open.discard(anchor)
            self._size[id(node)] = self._nodes - before
        return node

    def _key(self, index: Any) -> str | None:
        """The key path of the node at ``index`` of the collection being composed (its first
        :data:`KEY_PARTS` parts: the place, not the whole descent of a deep nesting)."""
        parts = [*self._path[1:], _label(index)][:KEY_PARTS]  # [0]: the document's root
        return ".".join(map(str, parts)) or None

    def _alias(self, event: AliasEvent, index: Any) -> yaml.Node:
        anchor = str(event.anchor)
        if anchor in self._open:
            key, mark = self._anchored[anchor]
            raise YamlLimitError(
                f"the alias *{anchor} refers to a node that contains it (a recursive alias; "
                f"the anchor &{anchor} is at line {_line(mark)})",
                event.start_mark,
                self._key(index),
            )
        if anchor not in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {anchor!r}", event.start_mark
            )
        node = self.anchors[anchor]
        size = self._size.get(id(node), 1)
        self._nodes += size
        self._alias_nodes += size
        if self._alias_nodes > MAX_ALIAS_NODES:
            key, mark = self._anchored[anchor]
            raise YamlLimitError(
                f"aliases expand the document by more than {MAX_ALIAS_NODES:,} nodes (an alias "
                f"bomb: this alias *{anchor} adds the {size:,} nodes of the anchor &{anchor} at "
                f"line {_line(mark)}" + (f", key '{key}'" if key else "") + ", aliases included)",
                event.start_mark,
                self._key(index),
            )
        return node

    def _scalar(self, event: ScalarEvent) -> yaml.ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            if event.implicit[0] and not self.yaml_path_resolvers:
                tag = self._plain_tags.get(event.value)
                if tag is None:
                    tag = self._plain_tags[event.value] = self.resolve(
                        yaml.ScalarNode, event.value, event.implicit
                    )
            else:
                tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
        return yaml.ScalarNode(
            tag, event.value, event.start_mark, event.end_mark, style=event.style
        )


def _line(mark: yaml.Mark | None) -> int | str:
    return mark.line + 1 if mark is not None else "?"


def _label(index: Any) -> str | int:
    """The key of a node from its ``index`` in the collection being composed: the key node's
    text in a mapping, the position in a sequence."""
    if isinstance(index, yaml.ScalarNode):
        return str(index.value)
    return index if isinstance(index, int) else "?"


class _Constructor(SafeConstructor):
    """SafeConstructor that reports a bad scalar (``2024-13-45``, ``!!float abc``) by line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value {node.value!r} ({exc})", node.start_mark
            ) from None


FLOAT_TAG = "tag:yaml.org,2002:float"
FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
    |[-+]?[0-9][0-9_]*\.[0-9_]*
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
"""PyYAML's float, plus YAML 1.2's exponents without a dot or an exponent sign (``1e12``,
``2.5e-3``), which YAML 1.1 would read as text: where a number is meant, text is refused."""


class _Resolver(Resolver):
    yaml_implicit_resolvers = {
        first: [(tag, FLOAT if tag == FLOAT_TAG else regexp) for tag, regexp in resolvers]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }


class _Loader(_LimitedComposer, _Constructor, _Resolver, _Parser):
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _LimitedComposer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)
