"""Open311 GeoReport v2 at /open311/v2: district systems read and file issue reports (报事).

AppContext are the report categories of reports.yaml, and their attributes the categories' extra
questions. Every path ends in .json or .xml; any other extension is a 404.

Access: the services endpoints are public. The requests endpoints, GET and POST alike, need a
staff member's personal API token (lnl_…) as the `api_key` query or form parameter, or as
`Authorization: Bearer`; a missing, unknown or revoked key is always 403, as the GeoReport spec
answers a bad api_key. A key sees and files only what its staff member's scope allows; a request
outside it is the same 404 as an unknown one.

Status: open is submitted, accepted or in_progress; closed is resolved, closed, rejected or
referred. The committee's own status word is the service_notice.

Errors are `[{"code": 400, "description": "field: reason"}]` (XML: <errors><error>) with the same
HTTP status. jurisdiction_id is accepted and ignored: one installation is one jurisdiction.
These routes are left out of /openapi.json, which documents the JSON staff API only; the
GeoReport v2 specification is their documentation.
"""
