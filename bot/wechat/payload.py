"""Parse pushed payloads (XML, or JSON for accounts set to JSON) safely into plain dicts."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class PayloadError(ValueError):
    """The payload is not well-formed, carries a DTD or entity, or lacks a required field."""


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
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise PayloadError("DTDs and entities are not accepted") from exc
    except (ParseError, ValueError) as exc:
        raise PayloadError("malformed XML") from exc
    if root.tag != "xml":
        raise PayloadError("root element must be <xml>")
    value = _element_to_value(root)
    return value if isinstance(value, dict) else {}


def parse_json(text: str | bytes) -> dict[str, Any]:
    """A JSON push as a dict of strings and numbers."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("malformed JSON") from exc
    if not isinstance(value, dict):
        raise PayloadError("JSON push must be an object")
    return value


def is_json(body: bytes | str) -> bool:
    """True when the push is JSON rather than XML."""
    stripped = body.lstrip()
    return stripped[:1] in (b"{", "{")


def parse_payload(body: bytes | str) -> dict[str, Any]:
    """Parse a push body in whichever format it came."""
    return parse_json(body) if is_json(body) else parse_xml(body)
