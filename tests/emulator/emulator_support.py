"""Constants the emulator tests share (the demo seed's ids)."""

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"
DEMO_APP = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
DEMO_SECRET = "demo-only-secret-not-for-production"
CERTIFICATE_APP = "6b1f3c2a-7d4e-4f5a-9b6c-1d2e3f4a5b6c"
PREFER_UNKNOWN = {"Prefer": "include-unknown-enum-members"}
