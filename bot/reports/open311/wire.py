"""GeoReport v2 on the wire: the same documents as JSON or as XML, and errors in the spec's form."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

# Characters XML 1.0 cannot carry at all; a resident's text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    """A refused request: the HTTP status and `field: reason`, as GeoReport clients show it."""

    def __init__(self, code: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.code = code
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Document:
    """An answer: a list of items under `root` (each an `item` element in XML), or one object."""

    root: str
    body: list[dict[str, Any]] | dict[str, Any]
    item: str = ""


def check_format(fmt: str) -> None:
    """Refuse an extension other than .json or .xml (404, as for any unknown resource)."""
    if fmt not in FORMATS:
        raise Open311Error(404, "format", "json or xml")


def render(fmt: str, document: Document, status: int = 200) -> Response:
    """The document in the requested format."""
    if fmt == "json":
        text = json.dumps(document.body, ensure_ascii=False, separators=(",", ":"))
        return Response(text.encode("utf-8"), status_code=status, media_type=FORMATS["json"])
    root = ET.Element(document.root)
    if isinstance(document.body, list):
        for entry in document.body:
            _fill(ET.SubElement(root, document.item), entry)
    else:
        _fill(root, document.body)
    body = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def refuse(fmt: str, error: Open311Error) -> Response:
    """An error list, `[{"code": 400, "description": "service_code: required"}]`."""
    document = Document("errors", [{"code": error.code, "description": str(error)}], "error")
    return render(fmt if fmt in FORMATS else "json", document, status=error.code)


# Lists of objects are wrapped in the singular element the spec uses (<values><value>…).
_SINGULAR = {"attributes": "attribute", "values": "value"}


def _fill(element: ET.Element, values: dict[str, Any]) -> None:
    for name, value in values.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for entry in value:
                _fill(ET.SubElement(child, _SINGULAR.get(name, "item")), entry)
        else:
            child.text = _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
