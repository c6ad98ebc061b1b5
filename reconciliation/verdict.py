"""The verdict: is what the rules leave unexplained within tolerance?

The residual is the portal's value minus the value after every rule. It passes when it is within
``abs_points`` percentage points or within ``relative`` of the portal's value. Below
``min_sample`` (either side's denominator) a rate tolerance means nothing, so the test is skipped
and the verdict is ``reconciled`` only when nothing at all is unexplained.
"""

from __future__ import annotations

from typing import Any

from .ruleset import Tolerance


def judge(payload: dict[str, Any], tolerance: Tolerance) -> dict[str, Any]:
    portal = payload["portal"]
    bridge = payload["bridge"]
    modelled = bridge[-1]["value_after"] if bridge else payload["ours"]["value"]
    unexplained = payload["unexplained"]
    nothing_left = (not unexplained["shipments"] and unexplained["numerator_delta"] == 0
                    and unexplained["denominator_delta"] == 0)
    sample = min(payload["ours"]["denominator"], portal["denominator"])
    applied = sample >= tolerance.min_sample
    residual = None
    within = None
    if portal["value"] is not None and modelled is not None:
        residual = portal["value"] - modelled
        within = (abs(residual) * 100 <= tolerance.abs_points + 1e-12
                  or abs(residual) <= tolerance.relative * portal["value"] + 1e-15)
    if applied and within is not None:
        verdict = "reconciled" if within else "investigate"
    else:
        verdict = "reconciled" if nothing_left else "investigate"
    return {
        "residual": {
            "value_points": residual * 100 if residual is not None else None,
            "within_tolerance": within,
            "tolerance_applied": applied,
            "tolerance": {"abs_points": tolerance.abs_points, "relative": tolerance.relative,
                          "min_sample": tolerance.min_sample},
            "sample": sample,
        },
        "verdict": verdict,
    }
