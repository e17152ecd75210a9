"""A compact digest of an item's managed fields as they were read.

The plan stores it per item; apply compares it with the item as live now. The
digest ignores field order and tag order, so only a real change alters it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from reconciler.engine.diffing import AnyValue, plan_value


def fingerprint(values: Mapping[str, AnyValue]) -> str:
    canonical = [[field, plan_value(values[field])] for field in sorted(values)]
    encoded = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()
