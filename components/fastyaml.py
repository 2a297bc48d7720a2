"""``yaml.safe_dump`` in block style, byte for byte, several times faster for the plain data a render emits.

Rendering a large fleet spent most of its YAML time in PyYAML's machinery around the text:
representer nodes, serializer events and the emitter's state machine, one step per scalar. libyaml's
emitter (``yaml.CSafeDumper``) is fast but writes other bytes: it folds a long double-quoted string
at a space into a plain line break, where PyYAML escapes the break (``\\``) and the space (``\\ ``),
and PyYAML also breaks after escapes; no setting of either emitter makes them agree, short of never
folding at all (which PyYAML's output here does).

``dump`` walks the data itself and drives a real ``yaml.emitter.Emitter``: the same indentation
state, the same writers (``write_indent``, ``write_indicator``, ``write_plain``, quoted writers)
and the same style decisions (``analyze_scalar``, the implicit resolver) as
``yaml.safe_dump(..., default_flow_style=False)`` makes through its events. Only the plain data
the render produces takes this path (``dict``, ``list``, ``str``, ``int``, ``bool``, ``float``,
``None``; string keys of simple-key length); anything else (another type, a sub-object shared in
two places, which PyYAML writes as an anchor and alias, a key PyYAML would write as ``? key``, a
scalar that would need an explicit tag) falls back to ``yaml.safe_dump`` for the whole document.
``tests/test_fastyaml.py`` compares the two on every document of every stack and on generated data.
"""

from __future__ import annotations

import bisect
import functools
import io
import re
from typing import Any, Optional

import yaml
from yaml.emitter import Emitter, ScalarAnalysis

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR_TAG_LEN = len("!!str")  # what check_simple_key counts for a string key's prepared tag

_RESOLVER = yaml.resolver.Resolver()
_REPRESENTER = yaml.representer.SafeRepresenter()


class _Unsupported(Exception):
    """Data outside the fast path: the caller dumps it with PyYAML."""


def dump(data: Any, *, sort_keys: bool = True, width: Optional[int] = None) -> str:
    """``yaml.safe_dump(data, sort_keys=sort_keys, default_flow_style=False, width=width)``."""
    if type(data) is dict or type(data) is list:
        try:
            return _Dumper(width, sort_keys).document(data)
        except _Unsupported:
            pass
    return yaml.safe_dump(data, sort_keys=sort_keys, default_flow_style=False, width=width)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml's parser when PyYAML has it (the same constructor and
    resolver build the data; ``tests/test_fastyaml.py`` loads every rendered file both ways)."""
    return yaml.load(text, Loader=_LOADER)


@functools.lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag a plain scalar ``value`` resolves to (``str`` unless it reads as a number, bool …)."""
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


_NOT_PRINTABLE = re.compile(r"[^\n\x20-\x7e]")
_COLON_INDICATOR = re.compile(r":(?:[ \n]|\Z)")
_HASH_INDICATOR = re.compile(r"[ \n]#")


def _analyze(scalar: str) -> ScalarAnalysis:
    """``Emitter.analyze_scalar`` (allow_unicode off), by string operations for printable ASCII
    and newlines; any other character goes to PyYAML's own loop."""
    if not scalar or _NOT_PRINTABLE.search(scalar):
        return _slow_analysis(scalar)
    # only ' ' and '\n' are whitespace here: '\0', '\t', '\r' and the Unicode breaks are not printable ASCII
    line_breaks = "\n" in scalar
    first = scalar[0]
    followed = len(scalar) == 1 or scalar[1] in " \n"
    block = (scalar.startswith("---") or scalar.startswith("...") or first in "#,[]{}&*!|>'\"%@`"
             or (first in "?:-" and followed) or _COLON_INDICATOR.search(scalar, 1) is not None
             or _HASH_INDICATOR.search(scalar) is not None)
    edge_space = first in " \n" or scalar[-1] in " \n"
    break_space = "\n " in scalar
    space_break = " \n" in scalar
    allow_plain = not (edge_space or break_space or space_break or line_breaks or block)
    allow_single = not (break_space or space_break)
    return ScalarAnalysis(scalar=scalar, empty=False, multiline=line_breaks, allow_flow_plain=False,
                          allow_block_plain=allow_plain, allow_single_quoted=allow_single,
                          allow_double_quoted=True, allow_block=False)


_EMITTER_FOR_ANALYSIS = Emitter(io.StringIO())


def _slow_analysis(scalar: str) -> ScalarAnalysis:
    return _EMITTER_FOR_ANALYSIS.analyze_scalar(scalar)


_analysis = functools.lru_cache(maxsize=8192)(_analyze)


def _scalar_of(data: Any) -> tuple[str, str]:
    """(tag, text) as SafeRepresenter represents a scalar."""
    t = type(data)
    if t is str:
        return _STR, data
    if t is bool:
        return _BOOL, "true" if data else "false"
    if t is int:
        return _INT, str(data)
    if data is None:
        return _NULL, "null"
    if t is float:
        return _FLOAT, _REPRESENTER.represent_float(data).value
    raise _Unsupported


class _Dumper:
    """The emitter's states for a block-style document, as direct recursion."""

    def __init__(self, width: Optional[int], sort_keys: bool):
        self.stream = io.StringIO()
        self.e = Emitter(self.stream, width=width)
        self.sort_keys = sort_keys
        self.seen: set[int] = set()

    def document(self, data: Any) -> str:
        e = self.e
        # implicit document start (root is a collection); expect_document_root
        self.node(data, root=True)
        # expect_document_end: write_indent, no explicit end; a collection root never leaves open_ended
        e.write_indent()
        if e.open_ended:
            raise _Unsupported
        return self.stream.getvalue()

    def node(self, data: Any, root: bool = False, mapping: bool = False, simple_key: bool = False) -> None:
        e = self.e
        e.root_context = root
        e.mapping_context = mapping
        e.simple_key_context = simple_key
        t = type(data)
        if t is dict or t is list:
            if id(data) in self.seen:  # PyYAML would write an anchor and an alias
                raise _Unsupported
            self.seen.add(id(data))
            if not data:  # check_empty_mapping / check_empty_sequence: flow style
                e.write_indicator("{" if t is dict else "[", True, whitespace=True)
                e.write_indicator("}" if t is dict else "]", False)
            elif t is dict:
                self.mapping(data)
            else:
                self.sequence(data)
        else:
            self.scalar(data, simple_key)

    def mapping(self, data: dict) -> None:
        e = self.e
        e.increase_indent(flow=False)
        items = data.items()
        if self.sort_keys:
            try:
                items = sorted(items)
            except TypeError:
                raise _Unsupported from None
        for key, value in items:
            if type(key) is not str:
                raise _Unsupported
            e.write_indent()
            # check_simple_key: a string key is simple when short, not empty and on one line
            a = _analysis(key)
            if not (_STR_TAG_LEN + len(key) < 128 and not a.empty and not a.multiline):
                raise _Unsupported
            self.node(key, mapping=True, simple_key=True)
            e.write_indicator(":", False)  # expect_block_mapping_simple_value
            self.node(value, mapping=True)
        e.indent = e.indents.pop()

    def sequence(self, data: list) -> None:
        e = self.e
        e.increase_indent(flow=False, indentless=(e.mapping_context and not e.indention))
        for item in data:
            e.write_indent()
            e.write_indicator("-", True, indention=True)
            self.node(item)
        e.indent = e.indents.pop()

    def scalar(self, data: Any, simple_key: bool) -> None:
        e = self.e
        tag, text = _scalar_of(data)
        implicit_plain = _plain_tag(text) == tag if len(text) < 256 else _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == tag
        implicit_quoted = tag == _STR
        a = _analysis(text) if len(text) < 256 else _analyze(text)
        # choose_scalar_style in block context with no requested style
        if implicit_plain and not (simple_key and (a.empty or a.multiline)) and a.allow_block_plain:
            style = ""
        elif a.allow_single_quoted and not (simple_key and a.multiline):
            style = "'"
        else:
            style = '"'
        # process_tag: the tag is left implicit, or PyYAML would write it
        if not ((style == "" and implicit_plain) or (style != "" and implicit_quoted)):
            raise _Unsupported
        e.increase_indent(flow=True)  # expect_scalar
        split = not simple_key
        if style == '"':
            _write_double_quoted(e, text, split)
        elif style == "'":
            _write_single_quoted(e, text, split)
        else:
            _write_plain(e, text, split)
        e.indent = e.indents.pop()


_SPACES = re.compile(r"( +)")


def _write_plain(e: Emitter, text: str, split: bool) -> None:
    """``Emitter.write_plain`` for a plain scalar (printable ASCII, no edge spaces, no breaks: all
    that ``_analyze`` lets be plain): words written as they are, a single space between two words
    becomes a line break once the line is past the width."""
    if _NOT_PRINTABLE.search(text) or "\n" in text:
        e.write_plain(text, split)
        return
    if e.root_context:
        e.open_ended = True
    if not text:
        return
    write = e.stream.write
    if not e.whitespace:
        write(" ")
        e.column += 1
    e.whitespace = False
    e.indention = False
    if not split or e.column + len(text) <= e.best_width or " " not in text:
        write(text)
        e.column += len(text)
        return
    best = e.best_width
    for i, part in enumerate(_SPACES.split(text)):
        if i % 2 == 0 or len(part) != 1 or e.column <= best:
            write(part)
            e.column += len(part)
        else:
            e.write_indent()
            e.whitespace = False
            e.indention = False


def _write_single_quoted(e: Emitter, text: str, split: bool) -> None:
    """``Emitter.write_single_quoted`` for text on one line of printable ASCII: words written with
    their quotes doubled, and a single space between two words becomes a line break once the line
    is past the width (never the first or last character). Other text goes to PyYAML's writer."""
    if "\n" in text or _NOT_PRINTABLE.search(text):
        e.write_single_quoted(text, split)
        return
    e.write_indicator("'", True)
    write = e.stream.write
    escaped = text.replace("'", "''")
    if not split or e.column + len(escaped) <= e.best_width or " " not in text:
        write(escaped)
        e.column += len(escaped)
    else:
        n = len(text)
        pos = 0
        for m in _SPACE_RUN.finditer(text):
            s, t = m.span()
            if pos < s:
                word = text[pos:s].replace("'", "''")
                write(word)
                e.column += len(word)
            if t - s == 1 and e.column > e.best_width and s != 0 and t != n:
                e.write_indent()
            else:
                write(text[s:t])
                e.column += t - s
            pos = t
        if pos < n:
            word = text[pos:].replace("'", "''")
            write(word)
            e.column += len(word)
    e.write_indicator("'", False)


_SPACE_RUN = re.compile(r" +")
_DQ_STOP = re.compile(r'[ "\\\x00-\x1f\x7f-\U0010ffff]')
_ESCAPES = Emitter.ESCAPE_REPLACEMENTS


def _write_double_quoted(e: Emitter, text: str, split: bool) -> None:
    """``Emitter.write_double_quoted`` (allow_unicode off), visiting only the positions where its
    loop can act: escapes, the position after each escape, and spaces. Everywhere else that loop
    only extends the pending run of characters. A break can fall at position ``end``
    (``0 < end < n - 1``, ``split``) on a space, an escape or the position after an escape, when
    the column the character would take, counting the pending run, is past the width (an escape:
    its last character past the width). When every escape in the text is two characters, the
    stretch of a line before its column can reach ``best_width - 1`` is written at once (no break
    can fall there), and the loop resumes just before the line's end."""
    e.write_indicator('"', True)
    n = len(text)
    best = e.best_width
    out: list[str] = []
    col = e.column
    start = 0
    last = n - 1
    bulk = _DQ_NOT_TWO.search(text) is None  # every escape is two characters
    if bulk:
        # the text escaped at once, and where a position of the text lands in it: p + escapes before p
        escaped = _escape_two(text)
        escapes = [m.start() for m in _DQ_ESCAPE_TWO.finditer(text)]

        def at(p: int) -> int:
            return p + bisect.bisect_left(escapes, p)

    def brk(end: int) -> None:  # the loop's break: the pending run and "\", a new line, "\" before a space
        nonlocal start, col
        data = text[start:end] + "\\"
        if start < end:
            start = end
        out.append(data)
        indent = e.indent or 0
        out.append("\n" + " " * indent)  # write_indent: indention is off inside the scalar
        e.line += 1
        col = indent
        if text[start] == " ":
            col += 1
            out.append("\\")

    if bulk and not split:
        out.append(escaped)
        col += len(escaped)
        start = n
    pos = 0  # the next position to visit
    after = -1  # the position after the last escape
    while start < n:
        if bulk:
            # the first position p >= pos whose column (col + output length of text[start:p]) can
            # reach best - 1: before it no space, escape or after-escape position breaks the line
            need = best - 1 - col
            base = at(start)
            if need > 0 and at(pos) - base < need:
                lo = max(pos, start + (need - 1) // 2)  # an escape is two characters: the column grows at most 2 a character
                hi = start + need
                if hi >= n:
                    hi = n if len(escaped) - base >= need else n + 1
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if at(mid) - base >= need:
                        hi = mid
                    else:
                        lo = mid
                if hi >= last:  # no break can fall in the rest
                    break
                chunk = escaped[base:at(hi)]
                out.append(chunk)
                col += len(chunk)
                start = pos = hi
                after = -1
        m = _DQ_STOP.search(text, pos)
        end = m.start() if m else n
        if after != -1 and after < end:
            if split and 0 < after < last and col + (after - start) > best:
                brk(after)
        after = -1
        if m is None:
            break
        pos = end + 1
        ch = text[end]
        if ch == " ":
            if split and 0 < end < last and col + (end - start) > best:
                brk(end)
            continue
        if start < end:
            out.append(text[start:end])
            col += end - start
        data = _ESCAPED.get(ch) or _escape(ch)
        out.append(data)
        col += len(data)
        start = end + 1
        if split and 0 < end < last and col - 1 > best:
            brk(end)
        after = end + 1
    if start < n:
        rest = escaped[at(start):] if bulk else text[start:]
        out.append(rest)
        col += len(rest)
    e.stream.write("".join(out))
    e.column = col  # whitespace and indention stay off, as after the opening quote
    e.write_indicator('"', False)


_ESCAPED = {ch: "\\" + rep for ch, rep in _ESCAPES.items()}
_DQ_TWO = [(ch, esc) for ch, esc in _ESCAPED.items() if ch < "\x80" and ch != "\\"]
_DQ_ESCAPE_TWO = re.compile(r'["\\\x00\x07-\x0d\x1b]')


def _escape_two(text: str) -> str:
    """``text`` with every character escaped as ``write_double_quoted`` does, when each escape is
    two characters (the backslash first, so no escape is escaped again)."""
    text = text.replace("\\", "\\\\")
    for ch, esc in _DQ_TWO:
        if ch in text:
            text = text.replace(ch, esc)
    return text
_DQ_NOT_TWO = re.compile(r"[^\x20-\x7e\x00\x07-\x0d\x1b]")
"""A character whose escape is not two characters (``\\xNN``, ``\\uNNNN`` …)."""


def _escape(ch: str) -> str:
    if ch <= "\xFF":
        return "\\x%02X" % ord(ch)
    if ch <= "\uFFFF":
        return "\\u%04X" % ord(ch)
    return "\\U%08X" % ord(ch)
