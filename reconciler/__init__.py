"""Triage state as code for Microsoft Defender XDR across many tenants."""

__version__ = "0.1.0"
