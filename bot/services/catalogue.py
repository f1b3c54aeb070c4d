"""What the service catalogue (config/content/zh-CN/services/, content.services) says of one
service as staff pages and pushes name it: the service, a document, a submitted field, and what
to bring — with applications.yaml's words when a service's file is gone (removed since a
resident used it)."""

from __future__ import annotations

from config.content import Content
from config.service_content import Service


def service_of(content: Content, key: str) -> Service | None:
    """The catalogue's entry for a service key, or None."""
    return content.services.by_key.get(key)


def service_name(content: Content, key: str) -> str:
    """A service in the committee's words (开具居住证明)."""
    found = service_of(content, key)
    return found.name if found is not None else content.applications.unknown_service


def document_name(content: Content, service: str, document: str) -> str:
    """A document of a service by its name in the service's file (its key when unknown)."""
    found = service_of(content, service)
    names = {d.key: d.name for d in found.documents} if found is not None else {}
    return names.get(document, document)


def field_label(content: Content, service: str, key: str) -> str:
    """A submitted field's label: the service's own, else applications.yaml's."""
    found = service_of(content, service)
    if found is not None and found.apply is not None:
        for field in found.apply.fields:
            if field.key == key:
                return field.label
    return content.applications.field(key)


def what_to_bring(content: Content, key: str) -> str:
    """What a resident brings to collect an application: the service's own wording, else its
    documents, else applications.yaml's default."""
    found = service_of(content, key)
    if found is None:
        return content.applications.pushes.bring_default
    if found.apply is not None and found.apply.bring.strip():
        return found.apply.bring.strip().rstrip("。")
    names = [d.name for d in found.documents]
    return "、".join(names) if names else content.applications.pushes.bring_default
