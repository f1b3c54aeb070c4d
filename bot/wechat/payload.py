"""Parse pushed payloads (XML, or JSON for accounts set to JSON) safely into plain dicts.

Nesting is bounded while parsing, before anything else sees the body: real pushes are at most
five levels deep (xml > SendPicsInfo > PicList > item > PicMd5Sum), so MAX_DEPTH leaves room
without letting a hostile body exhaust the stack.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_DEPTH = 8  # levels, counting the root <xml> element or the outer JSON object
_JSON_TOKENS = re.compile(r'[\\"\[\]{}]')
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database takes them


class PayloadError(ValueError):
    """The payload is not well-formed, carries a DTD or entity, or lacks a required field."""


class _BoundedTreeBuilder(TreeBuilder):
    """Builds the element tree, refusing it as soon as it gets deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        """Open an element, unless that goes too deep."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise PayloadError("XML is nested too deeply")
        return super().start(tag, attrs)

    def end(self, tag: str) -> Element:
        """Close an element."""
        self._depth -= 1
        return super().end(tag)


def _element_to_value(element: Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    value: dict[str, Any] = {}
    for child in children:
        item = _element_to_value(child)
        if child.tag in value:  # repeated tags become a list, as xmltodict does
            existing = value[child.tag]
            value[child.tag] = [*existing, item] if isinstance(existing, list) else [existing, item]
        else:
            value[child.tag] = item
    return value


def parse_xml(text: str | bytes) -> dict[str, Any]:
    """The children of the root <xml> element as a dict; any DTD or entity is refused."""
    parser = DefusedXMLParser(
        target=_BoundedTreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(text)
        root = parser.close()
    except DefusedXmlException as exc:
        raise PayloadError("DTDs and entities are not accepted") from exc
    except (ParseError, LookupError) as exc:  # LookupError: an unknown declared encoding
        raise PayloadError("malformed XML") from exc
    except PayloadError:
        raise
    except ValueError as exc:
        raise PayloadError("malformed XML") from exc
    if root.tag != "xml":
        raise PayloadError("root element must be <xml>")
    value = _element_to_value(root)
    return value if isinstance(value, dict) else {}


def _json_depth_within(text: str, limit: int) -> bool:
    """True when no array or object in `text` nests deeper than `limit`; linear, no recursion."""
    depth, in_string, escaped = 0, False, -1
    for match in _JSON_TOKENS.finditer(text):
        char, at = match.group(), match.start()
        if at == escaped:
            continue
        if in_string:
            if char == "\\":
                escaped = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise PayloadError("JSON object repeats a key")
    return value


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise PayloadError("JSON number is out of range")
    return value


def _no_constants(_literal: str) -> Any:
    raise PayloadError("NaN and Infinity are not JSON")


def parse_json(text: str | bytes) -> dict[str, Any]:
    """A JSON push as a dict; deep nesting, repeated keys, NaN and Infinity are refused."""
    try:
        if isinstance(text, bytes):
            text = text.decode(json.detect_encoding(text))
    except (UnicodeDecodeError, LookupError) as exc:
        raise PayloadError("malformed JSON") from exc
    if not _json_depth_within(text, MAX_DEPTH):
        raise PayloadError("JSON is nested too deeply")
    try:
        value = json.loads(
            text, object_pairs_hook=_unique_keys, parse_float=_finite, parse_constant=_no_constants
        )
    except PayloadError:
        raise
    except (ValueError, RecursionError) as exc:
        raise PayloadError("malformed JSON") from exc
    if not isinstance(value, dict):
        raise PayloadError("JSON push must be an object")
    return value


def _check_storable(value: Any) -> None:
    """Refuse text no database column can hold (NUL, lone surrogates) anywhere in the tree."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise PayloadError("payload holds characters that cannot be stored")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def is_json(body: bytes | str) -> bool:
    """True when the push is JSON rather than XML."""
    stripped = body.lstrip()
    return stripped[:1] in (b"{", "{")


def parse_payload(body: bytes | str) -> dict[str, Any]:
    """Parse a push body in whichever format it came."""
    value = parse_json(body) if is_json(body) else parse_xml(body)
    _check_storable(value)
    return value
