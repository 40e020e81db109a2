"""Grading checks for the ``consistency_choice`` exercise (練習 1: 分析一致性需求).

Theory of operation: the learner picks a consistency model for each of the
chapter's three applications — ``CHOICES = {"A": ..., "B": ..., "C": ...}``
with a one-line reason each in ``REASONS``. The checks never compare the
answer with a string. For each scenario they *run* it
(:mod:`~consensus_lab.grading.choice_scenarios`: a seeded simulation with a
partition and a crash) against the store of the chosen strength, and against
every other strength, then judge the choice by what happened:

1. **too weak** — the history breaks the scenario's requirement: the report
   quotes the first violation from the run (who, what, when, which node);
2. **too costly** — the requirement holds but too few of the requests that
   matter were answered (the scenario's budget, e.g. 99% of DNS lookups):
   the report gives the measured numbers and their causes, and the weakest
   strength that met the requirement within budget;
3. **stronger than needed** — within budget, but a weaker strength also met
   the requirement and cost less (fewer answers, slower answers, or more
   ordering metadata per write): the report compares the numbers;
4. otherwise the choice is right.

Every failure carries the seed and the call that replays the run. Since
"stronger than needed" compares measured costs, a stronger model that costs
nothing more in these runs passes too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.grading.base import NOT_IMPLEMENTED, Check, fail
from consensus_lab.grading.choice_scenarios import (
    CRASH_AT,
    CRASHED,
    DEFAULT_SEED,
    HEAL_AT,
    MINORITY,
    PARTITION_AT,
    SCENARIOS,
    STRENGTHS,
    ScenarioRun,
    crashed_availability,
    held_back,
    ordering_metadata,
    partition_availability,
    run_scenario,
)

EXERCISE = "consistency_choice"
VERDICTS = ("right", "too weak", "too costly", "stronger than needed")
#: why paying more than the weakest sufficient strength buys nothing, per scenario
_NEEDLESS = {"A": "the requirement is about the author's own session only",
             "B": "nothing weaker keeps the balance fresh",
             "C": "the requirement tolerates staleness up to the TTL"}
#: what one violation of each requirement is called
_NOUNS = {"A": "refreshes missed the author's own latest post",
          "B": "stale balance reads", "C": "lookups missed the update after the TTL"}


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the runs say about choosing ``choice`` for ``scenario``."""

    scenario: str
    choice: str
    seed: int
    verdict: str  # one of VERDICTS
    message: str  # the evidence, for a report
    replay: str  # the call that reruns the chosen strength's run


@lru_cache(maxsize=64)
def _run(scenario: str, strength_name: str, seed: int) -> ScenarioRun:
    return run_scenario(scenario, strength_name, seed)


def weakest_sufficient(scenario: str, seed: int = DEFAULT_SEED) -> ScenarioRun | None:
    """The run of the weakest strength that met the requirement within budget (or None)."""
    for name in reversed(STRENGTHS):
        run = _run(scenario, name, seed)
        if run.meets_requirement and run.within_budget:
            return run
    return None


def judge(scenario: str, choice: str, seed: int = DEFAULT_SEED) -> Judgement:
    """Run ``scenario`` with the ``choice`` store (and the others) and judge the choice."""
    run = _run(scenario, choice, seed)
    best = weakest_sufficient(scenario, seed)
    if run.violations:
        verdict, message = "too weak", _too_weak(run)
    elif not run.within_budget:
        verdict, message = "too costly", _too_costly(run, best)
    elif best is not None and best.strength.name != choice and _costlier(run, best):
        verdict, message = "stronger than needed", _needless(run, best)
    else:
        verdict, message = "right", f"{_with(run)}: {_numbers(run)}"
    return Judgement(scenario, choice, seed, verdict, message, run.replay)


def _with(run: ScenarioRun) -> str:
    return f"with {run.strength.name} ({run.strength.store})"


def _numbers(run: ScenarioRun) -> str:
    cost = run.cost
    return (f"{cost.answered}/{cost.requests} ({cost.availability:.0%}) of "
            f"{run.scenario.measured} were answered, in {cost.latency:.0f} ticks on average")


def _too_weak(run: ScenarioRun) -> str:
    name = run.scenario.name
    return (f"{_with(run)}, {run.violations[0]}. In all, {len(run.violations)} "
            f"{_NOUNS[name]} in this run (seed {run.seed}). The requirement: "
            f"{run.scenario.requirement}.")


def _causes(run: ScenarioRun) -> list[str]:
    """Why measured requests went unanswered, biggest cause first."""
    said = []
    counts = run.cost.unanswered
    if counts.get("partition"):
        answered, total = partition_availability(run)
        said.append(f"{total - answered} of {total} ({(total - answered) / total:.0%}) on "
                    f"the minority side ({', '.join(MINORITY)}) were refused or timed out "
                    f"during the partition (t={PARTITION_AT}–{HEAL_AT})")
    if counts.get("crash"):
        said.append(f"{counts['crash']} went to {CRASHED} after it crashed at t={CRASH_AT}: a "
                    "sticky client cannot fail over to another node without losing its session")
    if counts.get("other"):
        said.append(f"{counts['other']} others timed out")
    return said


def _too_costly(run: ScenarioRun, best: ScenarioRun | None) -> str:
    spec = run.scenario
    text = (f"{_with(run)}, the requirement holds, but only {_numbers(run)} — the scenario "
            f"needs at least {spec.budget:.0%} answered. " + "; ".join(_causes(run)).capitalize())
    if best is not None:
        text += (f". With {best.strength.name}, the weakest model that met the requirement, "
                 f"{_numbers(best)}; {_NEEDLESS[spec.name]}, so the cost buys nothing")
    return text + f" (seed {run.seed})."


def _costlier(run: ScenarioRun, best: ScenarioRun) -> bool:
    """Measurably more expensive than ``best``: fewer answers, slower, or more metadata."""
    return (run.cost.availability < best.cost.availability - 0.005
            or run.cost.latency > 1.25 * best.cost.latency + 2
            or ordering_metadata(run) > ordering_metadata(best))


def _needless(run: ScenarioRun, best: ScenarioRun) -> str:
    mine, theirs = run.cost, best.cost
    diffs = []
    if mine.availability < theirs.availability - 0.005 or mine.latency > 1.25 * theirs.latency + 2:
        diffs.append(f"{_numbers(run)}, against {_numbers(best)} with {best.strength.name}")
    else:
        diffs.append(f"{run.scenario.measured} fared the same ({_numbers(run)})")
    if ordering_metadata(run) > ordering_metadata(best):
        diffs.append(f"every replicated write carried {ordering_metadata(run):.0f} clock entries "
                     f"(a vector clock) instead of {ordering_metadata(best):.0f}, and replicas "
                     f"held writes back {held_back(run)} times until their causes arrived")
    return (f"{_with(run)}, the requirement holds, but {best.strength.name} meets it too and "
            f"costs less: " + "; ".join(diffs) + f". {_NEEDLESS[run.scenario.name].capitalize()}"
            f", so the extra guarantee buys nothing (seed {run.seed}).")


# -- tables for notebook 12 -----------------------------------------------------------------------


def strength_costs(seed: int = DEFAULT_SEED) -> Any:
    """What each strength costs, whatever the application: scenario B's workload (everyone
    reads, one client writes) on every store. A pandas DataFrame (pandas imported here)."""
    import pandas as pd

    rows = []
    for name in STRENGTHS:
        run = _run("B", name, seed)
        reads = [op for op in run.history if op.f == "read" and op.status == "ok"]
        writes = [op for op in run.history if op.f == "write" and op.status == "ok"]
        minority, crashed = partition_availability(run), crashed_availability(run)
        rows.append({"strength": name, "store": run.strength.store,
                     "clients": run.strength.routing,
                     "minority reads answered in the partition": _share(*minority),
                     "c5's reads answered after n5 crashed": _share(*crashed),
                     "read latency": round(_mean([op.ret - op.call for op in reads]), 1),
                     "write latency": round(_mean([op.ret - op.call for op in writes]), 1),
                     "clock entries per write": round(ordering_metadata(run), 1)})
    return pd.DataFrame(rows).set_index("strength")


def spectrum_table(seed: int = DEFAULT_SEED) -> Any:
    """Every scenario against every strength, with the judgement: a pandas DataFrame."""
    import pandas as pd

    rows = []
    for scenario in SCENARIOS:
        for name in STRENGTHS:
            run, verdict = _run(scenario, name, seed), judge(scenario, name, seed)
            rows.append({"scenario": scenario, "strength": name,
                         "requirement met": run.meets_requirement,
                         "violations": len(run.violations),
                         "answered": _share(run.cost.answered, run.cost.requests),
                         "mean latency": round(run.cost.latency, 1),
                         "clock entries per write": round(ordering_metadata(run), 1),
                         "verdict": verdict.verdict})
    return pd.DataFrame(rows).set_index(["scenario", "strength"])


def _share(answered: int, total: int) -> str:
    return f"{answered}/{total} ({answered / total:.0%})" if total else "-"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# -- reading the learner's answers ---------------------------------------------------------------


def _shown(module: ModuleType) -> str:
    path = Path(getattr(module, "__file__", "") or "consensus_lab_choice.py")
    return f"{path.parent.name}/{path.name}"


def _todo(module: ModuleType, what: str) -> None:
    fail(f"not implemented yet: {what} — see the TODO in {_shown(module)}", kind=NOT_IMPLEMENTED)


def _choice(module: ModuleType, scenario: str) -> str:
    """The learner's strength for ``scenario``, checked against the allowed names."""
    choices: Any = getattr(module, "CHOICES", None)
    if not isinstance(choices, dict):
        fail(f"{_shown(module)} must define CHOICES = {{'A': ..., 'B': ..., 'C': ...}}, "
             f"got {choices!r}")
    value = choices.get(scenario)
    if value is None:
        _todo(module, f"CHOICES[{scenario!r}]")
    if value not in STRENGTHS:
        fail(f"CHOICES[{scenario!r}] is {value!r}; choose one of {', '.join(STRENGTHS)}")
    return value


def check_choices_valid(module: ModuleType) -> None:
    """A strength from the list and a one-line reason for each scenario."""
    for scenario in SCENARIOS:
        _choice(module, scenario)
    reasons: Any = getattr(module, "REASONS", None)
    if not isinstance(reasons, dict):
        fail(f"{_shown(module)} must define REASONS = {{'A': '...', 'B': '...', 'C': '...'}}, "
             f"got {reasons!r}")
    for scenario in SCENARIOS:
        reason = reasons.get(scenario)
        if not isinstance(reason, str) or not reason.strip():
            _todo(module, f"REASONS[{scenario!r}]")
        if "\n" in reason.strip() or len(reason) > 200:
            fail(f"REASONS[{scenario!r}] should be one line (under 200 characters), got "
                 f"{len(reason)} characters")


def _check_scenario(module: ModuleType, scenario: str) -> None:
    choice = _choice(module, scenario)
    verdict = judge(scenario, choice)
    if verdict.verdict != "right":
        fail(f"{verdict.verdict}: {verdict.message}", seed=verdict.seed, replay=verdict.replay)


def check_scenario_a(module: ModuleType) -> None:
    """A: the author sees their own post after a refresh, and can keep posting."""
    _check_scenario(module, "A")


def check_scenario_b(module: ModuleType) -> None:
    """B: nobody reads a balance older than an acknowledged debit."""
    _check_scenario(module, "B")


def check_scenario_c(module: ModuleType) -> None:
    """C: every resolver sees the DNS update within the TTL; lookups stay answered."""
    _check_scenario(module, "C")


_HINT = ("read the run's numbers: a violation means the model is too weak for the "
         "requirement; refused or slow requests mean you pay for a guarantee the "
         "requirement does not ask for. Replay the run and look at its history")

CHECKS: tuple[Check, ...] = (
    Check(name="choices_valid", prop="a model from the list and a one-line reason for A, B, C",
          hint=f"the models: {', '.join(STRENGTHS)}", fn=check_choices_valid),
    Check(name="scenario_A", prop="A, social post: the author sees their own post; posting "
          "stays available", hint=_HINT, fn=check_scenario_a),
    Check(name="scenario_B", prop="B, bank balance: no one reads a balance older than an "
          "acknowledged debit", hint=_HINT, fn=check_scenario_b),
    Check(name="scenario_C", prop="C, DNS update: seen by all within the TTL; lookups stay "
          "answered", hint=_HINT, fn=check_scenario_c),
)
