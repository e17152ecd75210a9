"""The desired state: models of the triage repository and its strict loader."""
