"""Every row of the Keras 3 table (DK501-DK506), proven on Keras 3: the table and the tests are one.

``keras3_checks.checks()`` turns each row of ``darklint.keras.keras3_removals``
into programs; here the rules must report every old program with the row's
exact error in the message and leave the fixed programs clean (in this
process), and one subprocess per backend runs them all on Keras 3: the old
spelling raises exactly the row's error (DK506: behaves as the row says),
the new one runs, a safe backend fix computes what Keras 2's function
computed (Keras 3 still ships that function as ``tf.keras.backend``), and
the sets and signatures the rules rely on are what Keras has.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import pytest
from harness import Run, describe_versions
from keras3_checks import DRIVER, Check, as_json, checks, lint

from darklint.keras import keras3_removals as table
from darklint.keras.keras3_removals import Fix

BACKENDS = ("tensorflow", "torch")
CHECKS = checks()
BY_ROW: dict[str, list[Check]] = {}
for _check in CHECKS:
    BY_ROW.setdefault(_check.row, []).append(_check)


def test_every_row_has_evidence() -> None:
    for row in table.ROWS:
        found = BY_ROW.get(row.id, [])
        assert any(check.old for check in found), f"{row.id}: no evidence of the old spelling"
        if row.fix is not Fix.NONE or row.new_program:
            assert any(not check.old for check in found), f"{row.id}: no evidence of the new one"


@pytest.mark.parametrize("check", [c for c in CHECKS if c.program], ids=lambda c: c.key)
def test_the_rule_reports_the_old_program_and_not_the_new(check: Check) -> None:
    row = table.BY_ID[check.row]
    own = [d for d in lint(check.program) if d.code == row.code]
    if check.old:
        assert own, f"{row.code} does not report {check.key}:\n{check.program}"
        if check.error:
            assert any(f"`{check.error}`" in d.message for d in own), [d.message for d in own]
    else:
        assert not own, [d.message for d in own]


def _packed(data: object) -> str:
    """The checks as one short argument (a command line has a length limit)."""
    return base64.b64encode(zlib.compress(json.dumps(data).encode(), 9)).decode()


def _matches(spec: str, error: dict[str, str] | None) -> bool:
    if error is None:
        return False
    kind, _, text = spec.partition(": ")
    if error["type"] != kind:
        return False
    position = 0
    for part in text.split("…"):
        found = error["message"].find(part.strip(), position)
        if found < 0:
            return False
        position = found + len(part.strip())
    return True


def _plain(value: Any) -> Any:
    return [_plain(item) for item in value] if isinstance(value, (list, tuple)) else value


def _failure(check: Check, out: dict[str, Any], backend: str) -> str | None:
    """Why ``out`` does not show what ``check`` claims (None: it does)."""
    if "crash" in out:
        return f"the check itself crashed: {out['crash']}"
    if check.kind == "raises":
        ok = _matches(check.error, out["error"])
        return None if ok else f"expected `{check.error}`, got {out['error']}"
    if check.kind == "runs":
        return None if out["error"] is None else f"the new spelling fails: {out['error']}"
    if check.kind == "observe":
        if out["error"] is not None:
            return f"fails: {out['error']}"
        if _plain(out["observed"]) != _plain(check.expected):
            return f"observed {out['observed']}, the row says {check.expected}"
        if check.key == "optimizer-decay:old" and not any("decay" in w for w in out["warnings"]):
            return f"no warning about `decay`: {out['warnings']}"
        return None
    if check.kind == "compare":
        # Keras 2's functions ran on TensorFlow: there a safe fix's function must
        # be bit-identical; on torch, equal up to float rounding.
        holds = {
            "exact": out["exact"] if backend == "tensorflow" else out["close"],
            "close": out["close"],
            "differs": not out["exact"],
        }[check.expected]
        return None if holds else f"not {check.expected} to Keras 2's: {out}"
    if check.kind == "exists":
        return None if out["exists"] else f"{check.details} does not exist"
    if check.kind == "dir":
        return None if out["names"] == check.expected else f"{check.details}: {out['names']}"
    if check.kind == "params":
        params, expected = out["params"], check.expected
        if check.details.get("subset"):
            return None if set(expected) <= set(params) else f"{params} lacks some of {expected}"
        return None if params[: len(expected)] == expected else f"{params} is not {expected}"
    if check.kind == "accepts":
        return None if not out["missing"] else f"these do not take it: {out['missing']}"
    return f"unknown check kind {check.kind}"


@pytest.mark.evidence
@pytest.mark.parametrize(
    "run",
    [
        Run("keras3-table", f"CHECKS = {_packed(as_json(CHECKS))!r}\n{DRIVER}", b, 400)
        for b in BACKENDS
    ],
    ids=str,
)
def test_keras3_table_on_keras3(run: Run) -> None:
    obs = run.result()
    versions = describe_versions(obs)
    assert obs["versions"]["keras"].startswith("3."), versions
    results = obs["results"]
    failures = [
        f"{check.key}: {why}"
        for check in CHECKS
        if (why := _failure(check, results[check.key], run.backend or "")) is not None
    ]
    assert not failures, f"{versions}: {len(failures)} rows no longer hold:\n" + "\n".join(failures)
