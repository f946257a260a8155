"""Draws of uncertain parameter sets and seeds: from the calibration record, the catalog's ranges and seeds.

A *draw* is one parameter set and one seed. Three sources can vary from draw to draw
(:data:`SOURCES`):

- ``posterior``: the calibrated behavioural parameters, a particle of the calibration record's
  posterior (``posterior.csv`` of a ``symbiosim calibrate`` folder; by default the bundled
  scenario's, ``calibration/default``) picked with its importance weight;
- ``ranges``: catalog coefficients and prices, each at a quantile of its documented range
  (``calibration/ranges.csv``, see :mod:`symbiosim.environment.ranges`);
- ``seed``: the model's random seed (``base seed + draw``).

A source left out keeps the scenario's own values (its seed: the base seed). The draws are a
function of the base seed alone, so a result can be repeated; in ``compare`` every scenario runs
the same draws (common random numbers for parameters as well as seeds).
"""

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosim.environment.parameters import parameter_bounds
from symbiosim.environment.ranges import Range, applicable_ranges, drawn_scenario, load_ranges, range_issues
from symbiosim.environment.scenario import Scenario
from symbiosim.environment.validation import ScenarioError, ValidationIssue

__all__ = ["BUNDLED_CALIBRATION", "SOURCES", "DrawPlan", "UncertaintyOptions", "load_posterior", "plan_draws"]

SOURCES = ("seed", "posterior", "ranges")
BUNDLED_CALIBRATION = Path(str(resources.files("symbiosim.environment").joinpath("data/calibration/default")))
UNCERTAINTY_STREAM = 11  # the draws' own random stream (a spawn key of the base seed)


@dataclass(frozen=True)
class DrawPlan:
    """The draws of an uncertainty analysis.

    Attributes:
        seeds: one seed per draw.
        parameters: one row per draw, the posterior's parameter columns (no columns when the
            posterior does not vary).
        quantiles: one row per draw, one column per range (its label), in the order of ``ranges``.
        ranges: the ranges drawn (none when ranges do not vary).
        sources: the sources that vary.
        left_out: bundled ranges that do not apply to the planned scenario, and why.
    """

    seeds: list[int]
    parameters: pd.DataFrame
    quantiles: pd.DataFrame
    ranges: list[Range]
    sources: tuple[str, ...]
    left_out: list[ValidationIssue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.seeds)

    def check(self, scenario: Scenario) -> None:
        """Check that every draw applies to ``scenario`` as to the one planned on (compare runs several).

        Raises:
            ScenarioError: a range that does not fit ``scenario`` (located at its row).
        """
        issues = [issue for _, issue in range_issues(self.ranges, scenario)]
        if issues:
            raise ScenarioError(issues)

    def draw(self, scenario: Scenario, i: int) -> tuple[Scenario, dict[str, float], int]:
        """Draw ``i`` of ``scenario``: the scenario with its drawn catalog values, the parameters and the seed."""
        drawn = drawn_scenario(scenario, self.ranges, self.quantiles.iloc[i].to_numpy()) if self.ranges else scenario
        return drawn, {k: float(v) for k, v in self.parameters.iloc[i].items()}, self.seeds[i]

    def table(self) -> pd.DataFrame:
        """One row per draw: ``draw``, ``seed``, ``param.<name>`` (posterior) and ``range.<label>`` (quantile)."""
        frame = pd.DataFrame({"draw": range(len(self)), "seed": self.seeds})
        frame = frame.join(self.parameters.add_prefix("param.").reset_index(drop=True))
        return frame.join(self.quantiles.add_prefix("range.").reset_index(drop=True))


@dataclass(frozen=True)
class UncertaintyOptions:
    """What to draw: how many draws, which sources vary, and where the posterior and the ranges come from."""

    draws: int
    sources: tuple[str, ...] = SOURCES
    calibration: Path | None = None  # a calibration folder (None: the bundled record)
    ranges: Path | None = None  # a ranges table (None: the bundled one)

    def plan(self, scenario: Scenario, base_seed: int) -> DrawPlan:
        """The draws for ``scenario`` (see :func:`plan_draws`)."""
        return plan_draws(self.draws, base_seed, scenario, self.sources, self.calibration, self.ranges)

    def record(self) -> dict:
        """The options as JSON values (absolute paths, or ``bundled``), for a run's manifest."""
        where = {"calibration": self.calibration, "ranges": self.ranges}
        return {"draws": self.draws, "sources": list(self.sources),
                **{k: "bundled" if v is None else str(Path(v).resolve()) for k, v in where.items()}}  # fmt: skip

    @classmethod
    def of_record(cls, record: dict) -> "UncertaintyOptions":
        """The options a manifest recorded (:meth:`record`)."""
        try:
            paths = {k: None if record[k] == "bundled" else Path(record[k]) for k in ("calibration", "ranges")}
            return cls(int(record["draws"]), tuple(str(s) for s in record["sources"]), **paths)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the recorded uncertainty options {record!r} are malformed: {exc!r}") from None


def load_posterior(folder: Path | None, scenario: Scenario) -> pd.DataFrame:
    """The particles and weights of a calibration record's ``posterior.csv``.

    Raises:
        ValueError: the file is missing or unreadable, has no positive ``weight``, or names a
            parameter the scenario does not have.
    """
    path = (BUNDLED_CALIBRATION if folder is None else Path(folder)) / "posterior.csv"
    if not path.is_file():
        raise ValueError(f"{path}: no calibration posterior (a folder written by symbiosim calibrate has one)")
    try:
        table = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: cannot be read as a CSV table: {exc}") from None
    weights = pd.to_numeric(table.get("weight", pd.Series(dtype=float)), errors="coerce")
    if weights.empty or weights.isna().any() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"{path}, column 'weight': needs a non-negative importance weight per particle, some > 0")
    names = [c for c in table.columns if c not in ("weight", "distance")]
    unknown = [n for n in names if n not in scenario.parameters]
    if unknown or not names:
        raise ValueError(f"{path}: columns {unknown or names} are not parameters of the scenario '{scenario.name}'")
    values = table[names].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise ValueError(f"{path}: every parameter value must be a finite number")
    rows = scenario.table("parameters").set_index("name")
    for name in names:
        low, high = parameter_bounds({"name": name, **rows.loc[name].to_dict()})
        if (low is not None and values[name].min() < low) or (high is not None and values[name].max() > high):
            raise ValueError(f"{path}, column '{name}': values {values[name].min():g}-{values[name].max():g} leave the "
                             f"parameter's valid range {low}-{high}")  # fmt: skip
    return values.assign(weight=weights / weights.sum())


def plan_draws(
    n: int,
    base_seed: int,
    scenario: Scenario,
    sources: tuple[str, ...] = SOURCES,
    calibration: Path | None = None,
    ranges_path: Path | None = None,
) -> DrawPlan:
    """``n`` draws from the chosen sources, a function of ``base_seed`` alone.

    Raises:
        ValueError: ``n`` < 1, an unknown source, or a bad posterior (:func:`load_posterior`).
        ScenarioError: a bad ranges table (:func:`symbiosim.environment.ranges.load_ranges`), or
            one that varies a parameter the posterior draws.
    """
    if n < 1:
        raise ValueError(f"the number of draws must be at least 1 (got {n})")
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise ValueError(f"sources to vary must be some of {list(SOURCES)} (got {list(sources)})")
    rng = np.random.default_rng(np.random.SeedSequence(base_seed, spawn_key=(UNCERTAINTY_STREAM,)))
    seeds = [base_seed + i if "seed" in sources else base_seed for i in range(n)]
    parameters = pd.DataFrame(index=range(n))
    if "posterior" in sources:
        posterior = load_posterior(calibration, scenario)
        picks = rng.choice(len(posterior), size=n, p=posterior["weight"].to_numpy())
        parameters = posterior.drop(columns="weight").iloc[picks].reset_index(drop=True)
    ranges, left_out = _ranges(scenario, ranges_path, set(parameters.columns)) if "ranges" in sources else ([], [])
    quantiles = pd.DataFrame(rng.random((n, len(ranges))), columns=[r.label for r in ranges])
    return DrawPlan(seeds, parameters, quantiles, ranges, tuple(s for s in SOURCES if s in sources), left_out)


def _ranges(scenario: Scenario, path: Path | None, posterior: set[str]) -> tuple[list[Range], list[ValidationIssue]]:
    """The ranges to draw: a given table strictly, the bundled one where it applies (with a warning for the rest).

    A range of a parameter the posterior draws is refused (given table) or left out (bundled): the
    posterior's value would replace it.
    """
    ranges, left_out = (load_ranges(path, scenario), []) if path is not None else applicable_ranges(scenario)
    clash = [r for r in ranges if r.table == "parameters" and r.rows.partition("=")[2] in posterior]
    found = [r.issue("rows", f"varies {r.rows.partition('=')[2]}, which the calibration posterior draws: leave it to "
                             "the posterior, or draw without it (--vary seed ranges)") for r in clash]  # fmt: skip
    if path is not None and found:
        raise ScenarioError(found)
    left_out += found
    if left_out:
        labels = sorted({f"{issue.row}" for issue in left_out}, key=int)
        warnings.warn(f"{len(labels)} bundled ranges do not apply to '{scenario.name}' and are left out "
                      f"(calibration/ranges.csv rows {', '.join(labels)}; see uncertainty_draws.csv for those drawn)",
                      stacklevel=3)  # fmt: skip
    return [r for r in ranges if r not in clash], left_out
