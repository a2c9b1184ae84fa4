"""Every example patient the suite knows, as (name, criteria file, record, anchors): the SSc example patients
(trials/patients/), the example trials' patients (trials/examples/patients/), the SSc fixture records
(trials/tests/ssc_telitacicept/: base.json and each criterion's MET, NOT_MET and UNKNOWN merge patches) and the
evaluation fixtures (tests/fixtures/evaluation/*/cases.json). Used to check that the decision record schema
validates every decision they produce and that `elig verify` confirms each of them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from boundaries import BASE, merge_patch, ssc_criterion_cases

ROOT = Path(__file__).parent.parent
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
SSC_ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def cases() -> list[tuple[str, Path, object, dict]]:
    out = []
    for path in sorted((ROOT / "trials" / "patients").glob("*.json")):
        out.append((f"trials/patients/{path.name}", SSC, _load(path), SSC_ANCHORS))
    for path in sorted((ROOT / "trials" / "examples" / "patients").glob("*.json")):
        spec = _load(path)
        out.append((f"trials/examples/patients/{path.name}", ROOT / "trials" / "examples" / spec["trial"],
                    spec["record"], spec["anchors"]))
    out.append(("ssc/base.json", SSC, BASE, SSC_ANCHORS))
    for cid, case in ssc_criterion_cases(_load):
        out.append((f"ssc/criteria/{cid}-{case['expected']}", SSC, merge_patch(BASE, case["patch"]),
                    case.get("anchors", SSC_ANCHORS)))
    for path in sorted((ROOT / "tests" / "fixtures" / "evaluation").glob("*/cases.json")):
        spec = _load(path)
        criteria = ROOT / spec["criteria_file"] if "criteria_file" in spec else path.parent / "criteria.elig"
        for case in spec["cases"]:
            out.append((f"evaluation/{path.parent.name}: {case['name']}", criteria, case["record"], spec["anchors"]))
    return out
