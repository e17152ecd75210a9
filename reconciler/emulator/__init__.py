"""A faithful local stand-in for Entra ID and Graph's security API, over HTTPS.

Start one in-process with `start_emulator()` or from the shell with
`reconciler emulator serve`. It serves, on one port:

- `GET /{tenant}/v2.0/.well-known/openid-configuration` and
  `POST /{tenant}/oauth2/v2.0/token` (client credentials: secret in the body or
  HTTP Basic, or a certificate-signed client assertion); tenant is a GUID or
  `<name>.onmicrosoft.com`;
- `/v1.0/security/incidents` and `/v1.0/security/alerts_v2`: list ($filter, $top,
  $skip, $count, $expand=alerts, @odata.nextLink), GET and PATCH one item,
  `POST .../{id}/comments`, and `POST /v1.0/$batch`;
- loopback-only hooks: `GET /_emulator/stats`, `GET /_emulator/writes` (as
  `{"writes": [...]}`), `POST /_emulator/reset`.

Seed format (YAML or JSON; only ids are required in items):

    apps:
      - client_id: 3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b
        display_name: reconciler
        client_secret: "..."              # optional
        certificate: "-----BEGIN CERTIFICATE-----..."  # optional; or certificate_file
        consents:                         # tenant id -> granted application roles
          5f1c2d3e-0000-4000-8000-000000000001:
            [SecurityIncident.ReadWrite.All, SecurityAlert.ReadWrite.All]
    tenants:
      - tenant_id: 5f1c2d3e-0000-4000-8000-000000000001
        name: contoso
        incidents: [{id: "2972395", status: active, ...}]
        alerts: [{id: "da6375...", incidentId: "2972395", ...}]

Choices where the documentation is silent:
- PATCH accepts enum values in any casing (the documented example sends
  "TruePositive") and stores and returns camelCase. Writable: incidents
  assignedTo, classification, determination, status (active, inProgress,
  resolved), customTags; alerts the same without customTags (status new,
  inProgress, resolved). Anything else is a 400.
- A PATCH that touches classification or determination must leave a pair allowed
  by the Defender XDR matrix; deprecated determinations are refused.
- Listing order is newest createdDateTime first; $top is a page size; nextLink
  pages with $skip; alerts_v2's $top maximum of 100 is UNCONFIRMED.
- Stats: `graph_requests` counts every Graph request and every $batch item (not
  the envelope), `http_requests` every HTTP request to /v1.0, `token_requests`
  token endpoint calls; requests without a trustworthy token count only in totals.
"""

from reconciler.emulator.runner import EmulatorServer, start_emulator

__all__ = ["EmulatorServer", "start_emulator"]
