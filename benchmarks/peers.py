"""Benchmark: the facts-only SSc rule in peer rule engines, side by side with the library, in one process.

    pip install -e '.[bench]'                     # zen-engine, panzi-json-logic, rule-engine, cel-python
    python benchmarks/peers.py                    # 20,000 complete records, a few minutes
    python benchmarks/peers.py --records 500      # smoke test (CI)
    python benchmarks/peers.py --json out.json

The rule is benchmarks/ssc_facts.elig (eight criteria over thirteen facts, the age at screening and an
FVC in %); ``baseline_decide`` in bench_ssc.py states the same logic. Each engine gets the rule written in
its own language and the record in its natural input form, typed and parsed beforehand (as the library's
``evaluate_bound`` gets a bound record): numbers, booleans, the birth date as the engine's date (ZEN: ISO
text, rule-engine: ``datetime.date``, CEL: a timestamp; JsonLogic has no dates: year, month and day
numbers). One evaluation per record returns the eight criterion values; the two-valued outcome (every
inclusion true and every exclusion false: ELIGIBLE, else INELIGIBLE) is taken from them in Python.

Steps: generate records with bench_ssc's generator (5 % of the facts missing); on complete records (every
fact present) check each engine's criteria and outcome against the library's; on records with missing
facts, count what each engine does with a criterion the library calls UNKNOWN (an error, false, true or
null) and which outcome it gives where the library says INDETERMINATE; then time every engine and the
library on the complete records, interleaved, best of N. No assertion is made on timings.

An engine that is not installed is listed as such and skipped.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_ssc import (  # noqa: E402 - the generator and the rule stated in plain Python
    EXCLUDE,
    INCLUDE,
    SCREENING,
    TRIAL_FILE,
    age_in_years,
    generate_records,
    k_and,
    k_not,
    k_or,
)

from eligibility_dsl import compile_file  # noqa: E402 - bench_ssc put the checkout on sys.path if needed

ORDER = INCLUDE + EXCLUDE
FACTS = ("acr_eular_2013_score", "investigator_approved", "fvc_percent_predicted", "ana_positive",
         "anti_scl70_positive", "anticentromere_positive", "anti_rna_pol3_positive", "consented", "pregnant",
         "lactating", "plans_children_within_12_months", "serious_complication", "severe_psychiatric_condition")
SCREENING_DATE = datetime.date.fromisoformat(SCREENING)


def complete(record: dict) -> bool:
    facts = record.get("facts") or {}
    return record.get("birth_date") is not None and all(facts.get(f) is not None for f in FACTS)


def plain_facts(record: dict) -> dict:
    """The record's facts as typed Python values (None: missing; an absent fact stays absent), the FVC as
    its number of per cent (every generated FVC is in %)."""
    out = {}
    for name, value in (record.get("facts") or {}).items():
        out[name] = value["value"] if name == "fvc_percent_predicted" and value is not None else value
    return out


def outcome_of(engine, values) -> str:
    return getattr(engine, "outcome", two_valued_outcome)(values)


def two_valued_outcome(values) -> str:
    """How a user of a two-valued engine reads its criteria: an inclusion counts when truthy, an exclusion
    when truthy."""
    ok = all(bool(v) for v in values[:len(INCLUDE)]) and not any(bool(v) for v in values[len(INCLUDE):])
    return "ELIGIBLE" if ok else "INELIGIBLE"


# ------------------------------------------------------------------ engines
# Each: name, distribution, prepare(record) -> natural input, compile() -> (evaluate all, [evaluate one]).


class HandWritten:
    """The rule in three-valued Python over typed input: the floor to aim at."""
    name, distribution = "hand-written Python (typed)", None

    @staticmethod
    def outcome(values) -> str:
        """The library's rule: INELIGIBLE, ELIGIBLE, or INDETERMINATE when unknowns leave it open."""
        n = len(INCLUDE)
        if False in values[:n] or True in values[n:]:
            return "INELIGIBLE"
        return "INDETERMINATE" if None in values else "ELIGIBLE"

    def prepare(self, record):
        facts = plain_facts(record)
        born = record.get("birth_date")
        facts["birth_date"] = None if born is None else datetime.date.fromisoformat(born)
        return facts

    @staticmethod
    def _all(f):
        g = f.get
        score, fvc, born = g("acr_eular_2013_score"), g("fvc_percent_predicted"), g("birth_date")
        return [k_and(None if score is None else score >= 9, g("investigator_approved")),
                None if born is None else age_in_years(born, SCREENING_DATE) >= 18,
                None if fvc is None else fvc > 50,
                k_or(g("ana_positive"), g("anti_scl70_positive"), g("anticentromere_positive"),
                     g("anti_rna_pol3_positive")),
                k_not(g("consented")),
                k_or(g("pregnant"), g("lactating"), g("plans_children_within_12_months")),
                g("serious_complication"), g("severe_psychiatric_condition")]

    def compile(self):
        return self._all, [lambda f, i=i: self._all(f)[i] for i in range(len(ORDER))]


class Zen:
    """GoRules ZEN expression language, compiled once (``zen.compile_expression``)."""
    name, distribution = "zen-engine (compiled expression)", "zen-engine"
    CRITERIA = (
        "acr_eular_2013_score >= 9 and investigator_approved",
        'd(screening).diff(d(birth_date), "year") >= 18',
        "fvc_percent_predicted > 50",
        "ana_positive or anti_scl70_positive or anticentromere_positive or anti_rna_pol3_positive",
        "not consented",
        "pregnant or lactating or plans_children_within_12_months",
        "serious_complication",
        "severe_psychiatric_condition",
    )

    def prepare(self, record):
        # ZEN takes JSON-like values: no Decimal; numbers as float, dates as ISO text.
        facts = {k: float(v) if isinstance(v, Decimal) else v for k, v in plain_facts(record).items()}
        facts["birth_date"] = record.get("birth_date")
        facts["screening"] = SCREENING
        return facts

    def compile(self):
        import zen
        whole = zen.compile_expression("[" + ", ".join(self.CRITERIA) + "]")
        return whole.evaluate, [zen.compile_expression(c).evaluate for c in self.CRITERIA]


class JsonLogic:
    """JsonLogic (panzi-json-logic, pure Python 3)."""
    name, distribution = "json-logic (panzi-json-logic)", "panzi-json-logic"

    @staticmethod
    def _criteria():
        v = lambda name: {"var": name}  # noqa: E731
        birthday_to_come = {"or": [{"<": [v("s_month"), v("b_month")]},
                                   {"and": [{"==": [v("s_month"), v("b_month")]}, {"<": [v("s_day"), v("b_day")]}]}]}
        age = {"-": [{"-": [v("s_year"), v("b_year")]}, {"if": [birthday_to_come, 1, 0]}]}
        return [
            {"and": [{">=": [v("acr_eular_2013_score"), 9]}, v("investigator_approved")]},
            {">=": [age, 18]},
            {">": [v("fvc_percent_predicted"), 50]},
            {"or": [v("ana_positive"), v("anti_scl70_positive"), v("anticentromere_positive"),
                    v("anti_rna_pol3_positive")]},
            {"!": [v("consented")]},
            {"or": [v("pregnant"), v("lactating"), v("plans_children_within_12_months")]},
            v("serious_complication"),
            v("severe_psychiatric_condition"),
        ]

    def prepare(self, record):
        facts = plain_facts(record)  # JsonLogic reads Python numbers, Decimal included
        born = record.get("birth_date")
        if born is not None:
            d = datetime.date.fromisoformat(born)
            facts.update(b_year=d.year, b_month=d.month, b_day=d.day)
        else:
            facts.update(b_year=None, b_month=None, b_day=None)
        facts.update(s_year=SCREENING_DATE.year, s_month=SCREENING_DATE.month, s_day=SCREENING_DATE.day)
        return facts

    def compile(self):
        from json_logic import jsonLogic
        criteria = self._criteria()
        return (lambda data: jsonLogic(criteria, data)), [lambda data, c=c: jsonLogic(c, data) for c in criteria]


class RuleEngine:
    """rule-engine (zeroSteiner), rules parsed once (``rule_engine.Rule``)."""
    name, distribution = "rule-engine", "rule-engine"
    AGE = ("(screening.year - birth_date.year - ((screening.month < birth_date.month or "
           "(screening.month == birth_date.month and screening.day < birth_date.day)) ? 1 : 0))")
    CRITERIA = (
        "acr_eular_2013_score >= 9 and investigator_approved",
        AGE + " >= 18",
        "fvc_percent_predicted > 50",
        "ana_positive or anti_scl70_positive or anticentromere_positive or anti_rna_pol3_positive",
        "not consented",
        "pregnant or lactating or plans_children_within_12_months",
        "serious_complication",
        "severe_psychiatric_condition",
    )

    def prepare(self, record):
        facts = plain_facts(record)
        born = record.get("birth_date")
        facts["birth_date"] = None if born is None else datetime.date.fromisoformat(born)
        facts["screening"] = SCREENING_DATE
        return facts

    def compile(self):
        import rule_engine
        whole = rule_engine.Rule("[" + ", ".join(self.CRITERIA) + "]")
        return whole.evaluate, [rule_engine.Rule(c).evaluate for c in self.CRITERIA]


class Cel:
    """Common Expression Language (cel-python), compiled once into a program."""
    name, distribution = "cel-python", "cel-python"
    AGE = ("(screening.getFullYear() - birth_date.getFullYear() - ((screening.getMonth() < birth_date.getMonth() || "
           "(screening.getMonth() == birth_date.getMonth() && screening.getDayOfMonth() < birth_date.getDayOfMonth()))"
           " ? 1 : 0))")
    CRITERIA = (
        "acr_eular_2013_score >= 9 && investigator_approved",
        AGE + " >= 18",
        "fvc_percent_predicted > 50.0",
        "ana_positive || anti_scl70_positive || anticentromere_positive || anti_rna_pol3_positive",
        "!consented",
        "pregnant || lactating || plans_children_within_12_months",
        "serious_complication",
        "severe_psychiatric_condition",
    )

    def prepare(self, record):
        from celpy import celtypes
        out = {}
        for name, value in plain_facts(record).items():
            if isinstance(value, bool):
                out[name] = celtypes.BoolType(value)
            elif isinstance(value, (int, Decimal)):
                out[name] = celtypes.IntType(value) if name == "acr_eular_2013_score" else \
                    celtypes.DoubleType(float(value))
            else:
                out[name] = value
        born = record.get("birth_date")
        out["birth_date"] = None if born is None else celtypes.TimestampType(f"{born}T00:00:00Z")
        out["screening"] = celtypes.TimestampType(f"{SCREENING}T00:00:00Z")
        return out

    def compile(self):
        import celpy
        env = celpy.Environment()
        whole = env.program(env.compile("[" + ", ".join(self.CRITERIA) + "]"))
        return whole.evaluate, [env.program(env.compile(c)).evaluate for c in self.CRITERIA]


ENGINES = (Zen(), JsonLogic(), RuleEngine(), Cel())


def version_of(distribution: str | None) -> str:
    if distribution is None:
        return "-"  # not a package: code in this file
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def truth(value):
    """A result as the engine gave it, for counting: True, False, None (null) or the value itself."""
    if value is None or isinstance(value, bool):
        return value
    try:
        if type(value).__name__ == "BoolType" or isinstance(value, int):  # CEL's BoolType is an int
            return bool(value)
    except TypeError:
        pass
    return value


# ------------------------------------------------------------------ checks


def library_statuses(trial, bound_records, anchors):
    out = []
    for b in bound_records:
        d = trial.evaluate_bound(b, anchors, trace="off")
        out.append((d.outcome.value, [c.status.value for c in d.criteria]))
    return out


def agreement(engine, run_all, inputs, expected) -> dict:
    """On complete records: how many records the engine decides exactly as the library (every criterion
    and the outcome), and the first that differs."""
    agree, first = 0, None
    for (outcome, statuses), data in zip(expected, inputs, strict=True):
        try:
            values = [truth(v) for v in run_all(data)]
        except Exception as err:  # an engine's own error is a disagreement, reported
            values = [f"error: {type(err).__name__}"] * len(ORDER)
        want = [s == "MET" for s in statuses]
        if values == want and outcome_of(engine, values) == outcome:
            agree += 1
        elif first is None:
            first = {"criteria": dict(zip(ORDER, values, strict=True)), "library": dict(zip(ORDER, statuses,
                                                                                          strict=True))}
    return {"records": len(inputs), "agree": agree, "first_difference": first}


def missing_behaviour(engine, run_one, run_all, inputs, expected) -> dict:
    """On records with missing facts: per criterion the library calls UNKNOWN, what the engine returned;
    per record the library calls INDETERMINATE, the engine's outcome (evaluated whole, as in production)."""
    criteria = {"error": 0, "false": 0, "true": 0, "null": 0}
    outcomes = {"ELIGIBLE": 0, "INELIGIBLE": 0, "INDETERMINATE": 0, "error": 0}
    for (outcome, statuses), data in zip(expected, inputs, strict=True):
        for i, status in enumerate(statuses):
            if status != "UNKNOWN":
                continue
            try:
                v = truth(run_one[i](data))
            except Exception:
                criteria["error"] += 1
                continue
            criteria["null" if v is None else "true" if v else "false"] += 1
        if outcome == "INDETERMINATE":
            try:
                outcomes[outcome_of(engine, [truth(v) for v in run_all(data)])] += 1
            except Exception:
                outcomes["error"] += 1
    return {"unknown_criteria": criteria, "indeterminate_records": outcomes}


# ------------------------------------------------------------------ timing


def time_modes(modes, repeat: int) -> dict[str, list[float]]:
    """Seconds per run for each mode; modes take turns within each round (drift falls on all alike)."""
    runs: dict[str, list[float]] = {name: [] for name, _, _ in modes}
    for _ in range(repeat):
        for name, fn, items in modes:
            t0 = time.perf_counter()
            for item in items:
                fn(item)
            runs[name].append(time.perf_counter() - t0)
    return runs


def commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="complete records to time (default 20000)")
    parser.add_argument("--seed", type=int, default=20250911, help="random seed (default 20250911)")
    parser.add_argument("--slow-records", type=int, default=2_000,
                        help="records timed for cel-python, about 1000x slower than the rest (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    machine = (f"Python {platform.python_version()} ({platform.python_implementation()}), "
               f"{platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}")
    print(f"{datetime.date.today().isoformat()}, commit {commit()}; {machine}")
    trial = compile_file(TRIAL_FILE)
    anchors_text = {"screening": SCREENING}
    anchors = trial.parse_anchors(anchors_text)

    # About 46 % of bench_ssc's records have every fact: generate enough for N complete ones.
    records = generate_records(int(args.records / 0.42) + 200, args.seed)
    full = [r for r in records if complete(r)][:args.records]
    partial = [r for r in records if not complete(r)][:max(200, args.records // 2)]
    print(f"{len(full):,} complete records (timed), {len(partial):,} with missing facts (behaviour counted)")
    bound_full, bound_partial = [trial.bind(r) for r in full], [trial.bind(r) for r in partial]
    expected_full = library_statuses(trial, bound_full, anchors)
    expected_partial = library_statuses(trial, bound_partial, anchors)

    engines = [HandWritten(), *ENGINES]
    report, modes = [], [("library: evaluate_bound, trace off", lambda b: trial.evaluate_bound(b, anchors,
                                                                                                trace="off"),
                          bound_full),
                         ("library: evaluate, trace off", lambda r: trial.evaluate(r, anchors_text, trace="off"),
                          full)]
    for engine in engines:
        version = version_of(engine.distribution)
        if version == "not installed":
            report.append({"engine": engine.name, "version": version})
            print(f"{engine.name}: not installed (pip install -e '.[bench]'), skipped")
            continue
        run_all, run_one = engine.compile()
        inputs_full = [engine.prepare(r) for r in full]
        inputs_partial = [engine.prepare(r) for r in partial]
        entry = {"engine": engine.name, "version": version,
                 "complete_records": agreement(engine, run_all, inputs_full, expected_full),
                 "missing_facts": missing_behaviour(engine, run_one, run_all, inputs_partial, expected_partial)}
        report.append(entry)
        timed = inputs_full[:args.slow_records] if isinstance(engine, Cel) else inputs_full
        modes.append((engine.name, run_all, timed))

    runs = time_modes(modes, args.repeat)
    timing = {}
    for name, _, items in modes:
        best = min(runs[name])
        timing[name] = {"seconds": best, "runs_seconds": runs[name], "spread": max(runs[name]) / best - 1,
                        "records_per_second": len(items) / best, "us_per_record": best / len(items) * 1e6}
    lib = timing["library: evaluate_bound, trace off"]["us_per_record"]

    print(f"\ncomplete records, best of {args.repeat} interleaved runs; "
          "ratio = engine time / evaluate_bound time (> 1: evaluate_bound is faster); spread = slowest / best - 1")
    header = (f"| {'engine':<36} | {'version':<8} | {'timed':>6} | {'records/s':>10} | {'µs/record':>9} | "
              f"{'ratio':>6} | {'spread':>6} | {'agrees (complete)':>17} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    by_name = {e["engine"]: e for e in report}
    for name, _, items in modes:
        t, e = timing[name], by_name.get(name, {})
        agree = e.get("complete_records")
        agrees = "—" if agree is None else f"{agree['agree']:,}/{agree['records']:,}"
        print(f"| {name:<36} | {e.get('version', version_of('eligibility_dsl')):<8} | {len(items):>6,} | "
              f"{t['records_per_second']:>10,.0f} | {t['us_per_record']:>9.2f} | {t['us_per_record'] / lib:>6.2f} | "
              f"{t['spread']:>6.0%} | {agrees:>17} |")
    for e in report:
        if e.get("version") == "not installed":
            print(f"| {e['engine']:<36} | not installed: skipped")

    print(f"\non {len(partial):,} records with missing facts: what each engine does where the library says "
          "UNKNOWN (per criterion) and INDETERMINATE (per record)")
    print(f"| {'engine':<36} | {'UNKNOWN criteria: error / false / true / null':<46} | "
          f"{'INDETERMINATE records: ELIGIBLE / INELIGIBLE / INDETERMINATE / error':<69} |")
    print(f"|{'-' * 38}|{'-' * 48}|{'-' * 71}|")
    for e in report:
        m = e.get("missing_facts")
        if m is None:
            continue
        c, o = m["unknown_criteria"], m["indeterminate_records"]
        print(f"| {e['engine']:<36} | {c['error']:>6,} / {c['false']:>6,} / {c['true']:>6,} / {c['null']:>6,}"
              f"{'':<15} | {o['ELIGIBLE']:>8,} / {o['INELIGIBLE']:>10,} / {o['INDETERMINATE']:>13,} / "
              f"{o['error']:>5,}{'':<23} |")
    first = [(e["engine"], e["complete_records"]["first_difference"]) for e in report
             if e.get("complete_records", {}).get("first_difference")]
    for name, diff in first:
        print(f"\n{name}: first disagreement on a complete record: {diff}")

    if args.json:
        figures = {"date": datetime.date.today().isoformat(), "commit": commit(), "machine": machine,
                   "records_complete": len(full), "records_with_missing": len(partial), "seed": args.seed,
                   "repeat": args.repeat, "engines": report, "timing": timing}
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
