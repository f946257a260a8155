"""The planner's symbiosis network for a supply and capacity snapshot (Cao et al. 2025, eq. 1-5; docs/planner.md).

Three schemes, each a linear program (the economic ones a mixed-integer program when a VAT
rebate applies), solved with HiGHS through :func:`scipy.optimize.milp` on sparse matrices:

* ``theoretical``: maximise the tonnes used, subject to supply (eq. 2) and the technology caps
  (eq. 3, including the caps shared by a group of technologies); no prices (among solutions
  with equal tonnes, the one that needs the least new capacity).
* ``economic``: maximise total profit (eq. 1) -- for every tonne on a route, what the buyer
  saves (avoided material less processing, plus subsidies and avoided emission charges) less
  transport, less the seller's outside option (landfill fee and EP tax avoided, net of the cost
  of supplying) -- less the annualised cost of new technology capacity beyond what is
  installed, plus the VAT rebate of each plant that reaches its threshold share of listed wastes
  (eq. 5, one binary per plant).
* ``win_win``: the economic optimum restricted to routes that save energy and avoid CO2 net of
  transport (the "economic-environmental win-win" scheme, 经济、环境双赢, of Cao et al. 2025, §1.2).

The price paid for a by-product is a transfer between seller and buyer and cancels in the total;
eq. 4 (the buyer's cost may not exceed the product price) holds at the optimum because every
route used has a positive margin. Variables: tonnes on each route, new capacity at each
(buyer, technology) and, for the VAT rebate, one binary per plant.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["SCHEMES", "PlannerError", "PlannerResult", "Snapshot", "solve", "solve_all"]

SCHEMES = ("theoretical", "economic", "win_win")
EFFECTS = ("energy_saved_tce", "co2_avoided_t", "so2_avoided_t", "nox_avoided_t", "pm_avoided_t")
ROUTE_COLUMNS = ("seller", "buyer", "byproduct", "technology", "distance_km", "margin_cny_per_t", "is_listed_waste")
SOLUTION_TONNE_TOLERANCE = 1e-6
NEW_CAPACITY_TIE_BREAK = 1e-6  # theoretical scheme: cost of a tonne of new capacity, in tonnes used  # tonnes below this in a solution are rounding, not a path


class PlannerError(ValueError):
    """The snapshot cannot be optimised; the message names the cause."""


@dataclass(frozen=True)
class Snapshot:
    """Supply, capacity and route economics of one period (a year, or a month).

    Attributes:
        routes: one row per route: ``seller``, ``buyer`` (facility ids), ``byproduct``,
            ``technology``, ``distance_km``, ``margin_cny_per_t`` (the route's total surplus per
            tonne before any new capacity), ``is_listed_waste`` (counts toward the VAT-rebate
            threshold), ``group`` (the cap group of the technology) and, per tonne,
            ``energy_saved_tce`` and ``co2_avoided_t``, ``so2_avoided_t``, ``nox_avoided_t``,
            ``pm_avoided_t`` (net of transport).
        supply: tonnes available by ``seller`` and ``byproduct`` (column ``supply_t``).
        capacity: by ``buyer`` and ``technology``: ``cap_t`` (the standard's cap on the
            period's output, eq. 3), ``installed_t`` (capacity in place for the period) and
            ``upgrade_cny_per_t`` (annualised cost of a tonne of new capacity, for the period).
        group_capacity: by ``buyer`` and ``group``: ``cap_t`` shared by the group's technologies.
        vat: by ``buyer``: ``rebate_cny`` (won when the threshold is met) and ``needed_t``
            (tonnes of listed wastes that meet it); empty when no rebate applies.
        period: a label, e.g. ``"2030"``.
    """

    routes: pd.DataFrame
    supply: pd.DataFrame
    capacity: pd.DataFrame
    group_capacity: pd.DataFrame
    vat: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["buyer", "rebate_cny", "needed_t"]))
    period: str = ""


@dataclass(frozen=True, eq=False)
class PlannerResult:
    """The optimal network of one scheme.

    Attributes:
        scheme: ``theoretical``, ``economic`` or ``win_win``.
        paths: routes used: ``seller``, ``buyer``, ``byproduct``, ``technology``, ``tonnes``,
            ``distance_km``, ``profit_cny`` (margin x tonnes) and the effects (tce, t).
        by_waste: by ``byproduct``: ``supply_t``, ``used_t``, ``utilisation_rate``.
        totals: one row of totals: tonnes used, profit (CNY, after new capacity and VAT
            rebates), the effects, paths, new capacity (t), plants winning the rebate, solve
            time (s), MIP gap, status and the problem size (variables, constraints, non-zeros).
        new_capacity: by ``buyer`` and ``technology``: ``new_capacity_t`` (> 0 only).
    """

    scheme: str
    paths: pd.DataFrame
    by_waste: pd.DataFrame
    totals: pd.DataFrame
    new_capacity: pd.DataFrame


def _codes(frame: pd.DataFrame, keys: list[str], index: pd.MultiIndex | pd.Index, what: str) -> NDArray[np.intp]:
    """Row of each route in a keyed table (supply, capacity, group capacity)."""
    positions = index.get_indexer(pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else frame[keys[0]])
    if (positions < 0).any():
        first = frame.loc[positions < 0, keys].iloc[0].to_dict()
        raise PlannerError(f"route {first} has no row in the {what} table")
    return positions


def _check(snapshot: Snapshot) -> None:
    routes = snapshot.routes
    missing = [c for c in (*ROUTE_COLUMNS, "group", *EFFECTS) if c not in routes.columns]
    if missing:
        raise PlannerError(f"routes lack columns {missing}")
    for name, frame, columns in (
        ("supply", snapshot.supply, ("supply_t",)),
        ("capacity", snapshot.capacity, ("cap_t", "installed_t", "upgrade_cny_per_t")),
        ("group capacity", snapshot.group_capacity, ("cap_t",)),
        ("routes", routes, ("distance_km", "margin_cny_per_t", *EFFECTS)),
        ("vat", snapshot.vat, ("rebate_cny", "needed_t")),
    ):
        for column in columns:
            values = frame[column].to_numpy(dtype=float)
            if not np.isfinite(values).all():
                raise PlannerError(f"{name}.{column} has missing or infinite values")
            may_be_negative = column == "margin_cny_per_t" or column in EFFECTS
            if not may_be_negative and (values < 0).any():
                raise PlannerError(f"{name}.{column} has negative values (min {values.min():g})")


def solve(
    snapshot: Snapshot, scheme: str = "economic", relax: bool = False, time_limit_s: float = 60.0
) -> PlannerResult:
    """Solve one scheme for a snapshot.

    Args:
        snapshot: supply, capacity and route economics.
        scheme: ``theoretical``, ``economic`` or ``win_win``.
        relax: solve the LP relaxation (the VAT binaries continuous in 0-1): an upper bound
            on the economic optimum.
        time_limit_s: HiGHS time limit.

    Returns:
        The optimal network.

    Raises:
        PlannerError: unknown scheme, inconsistent or negative inputs, or a solver failure
            (with HiGHS's message).
    """
    if scheme not in SCHEMES:
        raise PlannerError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
    _check(snapshot)
    routes = snapshot.routes.reset_index(drop=True)
    if scheme == "win_win":
        routes = routes[(routes["energy_saved_tce"] > 0) & (routes["co2_avoided_t"] > 0)].reset_index(drop=True)
    supply = snapshot.supply.set_index(["seller", "byproduct"])["supply_t"]
    capacity = snapshot.capacity.set_index(["buyer", "technology"])
    groups = snapshot.group_capacity.set_index(["buyer", "group"])["cap_t"]
    n_r, n_c = len(routes), len(capacity)
    at_supply = _codes(routes, ["seller", "byproduct"], supply.index, "supply")
    at_capacity = _codes(routes, ["buyer", "technology"], capacity.index, "capacity")
    at_group = _codes(routes, ["buyer", "group"], groups.index, "group capacity")
    is_economic = scheme != "theoretical"
    vat = snapshot.vat[snapshot.vat["rebate_cny"] > 0] if is_economic else snapshot.vat.iloc[0:0]
    vat = vat[vat["buyer"].isin(routes["buyer"])].reset_index(drop=True)
    n_v = len(vat)
    # variables: route tonnes (n_r), new capacity (n_c), VAT binaries (n_v)
    r = np.arange(n_r)
    blocks = [
        sparse.csr_array((np.ones(n_r), (at_supply, r)), shape=(len(supply), n_r + n_c + n_v)),
        sparse.csr_array(
            (
                np.concatenate([np.ones(n_r), -np.ones(n_c)]),
                (np.concatenate([at_capacity, np.arange(n_c)]), np.concatenate([r, n_r + np.arange(n_c)])),
            ),
            shape=(n_c, n_r + n_c + n_v),
        ),
        sparse.csr_array((np.ones(n_r), (at_group, r)), shape=(len(groups), n_r + n_c + n_v)),
    ]
    lower = [np.full(len(supply), -np.inf), np.full(n_c, -np.inf), np.full(len(groups), -np.inf)]
    upper = [supply.to_numpy(float), capacity["installed_t"].to_numpy(float), groups.to_numpy(float)]
    if n_v:
        listed = routes["is_listed_waste"].to_numpy(bool)
        plant = pd.Index(vat["buyer"]).get_indexer(routes["buyer"])
        use = listed & (plant >= 0)
        rows = np.concatenate([plant[use], np.arange(n_v)])
        cols = np.concatenate([r[use], n_r + n_c + np.arange(n_v)])
        data = np.concatenate([np.ones(use.sum()), -vat["needed_t"].to_numpy(float)])
        blocks.append(sparse.csr_array((data, (rows, cols)), shape=(n_v, n_r + n_c + n_v)))
        lower.append(np.zeros(n_v))
        upper.append(np.full(n_v, np.inf))
    matrix = sparse.vstack(blocks, format="csr")
    room = np.maximum(capacity["cap_t"].to_numpy(float) - capacity["installed_t"].to_numpy(float), 0.0)
    if is_economic:
        gain = np.concatenate(
            [
                routes["margin_cny_per_t"].to_numpy(float),
                -capacity["upgrade_cny_per_t"].to_numpy(float),
                vat["rebate_cny"].to_numpy(float),
            ]
        )
    else:
        # most tonnes; among equal tonnes, the least new capacity (a tie-break worth nothing beside a tonne)
        gain = np.concatenate([np.ones(n_r), np.full(n_c, -NEW_CAPACITY_TIE_BREAK), np.zeros(n_v)])
    integrality = np.concatenate([np.zeros(n_r + n_c), np.ones(n_v) if not relax else np.zeros(n_v)])
    bounds = Bounds(np.zeros(n_r + n_c + n_v), np.concatenate([np.full(n_r, np.inf), room, np.ones(n_v)]))
    started = time.perf_counter()
    result = milp(
        -gain,
        constraints=LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper)),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": time_limit_s, "mip_rel_gap": 1e-6},
    )
    seconds = time.perf_counter() - started
    if result.x is None:
        raise PlannerError(
            f"HiGHS found no solution for the {scheme} scheme: {result.message} (status {result.status})"
        )
    return _result(scheme, snapshot, routes, capacity, vat, result, seconds, matrix, at_capacity)


def _result(
    scheme: str,
    snapshot: Snapshot,
    routes: pd.DataFrame,
    capacity: pd.DataFrame,
    vat: pd.DataFrame,
    result: object,
    seconds: float,
    matrix: sparse.csr_array,
    at_capacity: NDArray[np.intp],
) -> PlannerResult:
    n_r, n_c = len(routes), len(capacity)
    tonnes = np.where(result.x[:n_r] > SOLUTION_TONNE_TOLERANCE, result.x[:n_r], 0.0)
    # new capacity: what the tonnes need beyond what is installed
    used = np.bincount(at_capacity, weights=tonnes, minlength=n_c)
    new = np.maximum(used - capacity["installed_t"].to_numpy(float), 0.0)
    share_won = result.x[n_r + n_c :]  # 0 or 1; between them in the LP relaxation
    used_routes = routes.assign(tonnes=tonnes)[tonnes > 0]
    paths = used_routes[["seller", "buyer", "byproduct", "technology", "tonnes", "distance_km"]].copy()
    paths["profit_cny"] = used_routes["margin_cny_per_t"] * used_routes["tonnes"]
    for effect in EFFECTS:
        paths[effect] = used_routes[effect] * used_routes["tonnes"]
    supply = snapshot.supply.groupby("byproduct")["supply_t"].sum()
    by_waste = pd.DataFrame({"supply_t": supply, "used_t": paths.groupby("byproduct")["tonnes"].sum()})
    by_waste["used_t"] = by_waste["used_t"].fillna(0.0)
    by_waste["utilisation_rate"] = (by_waste["used_t"] / by_waste["supply_t"]).where(by_waste["supply_t"] > 0)
    upgrade = float((capacity["upgrade_cny_per_t"].to_numpy(float) * new).sum())
    rebate = float((vat["rebate_cny"].to_numpy(float) * share_won).sum()) if len(vat) else 0.0
    totals = {
        "scheme": scheme,
        "period": snapshot.period,
        "tonnes_used": float(tonnes.sum()),
        "profit_cny": float(paths["profit_cny"].sum()) - upgrade + rebate,
        "route_profit_cny": float(paths["profit_cny"].sum()),
        "new_capacity_cost_cny": upgrade,
        "vat_rebate_cny": rebate,
        **{effect: float(paths[effect].sum()) for effect in EFFECTS},
        "paths": len(paths),
        "new_capacity_t": float(new.sum()),
        "vat_plants_qualified": int((share_won > 0.5).sum()),
        "solve_s": seconds,
        "mip_gap": float(getattr(result, "mip_gap", 0.0) or 0.0),
        "status": str(result.message),
        "variables": matrix.shape[1],
        "constraints": matrix.shape[0],
        "nonzeros": int(matrix.nnz),
    }
    new_capacity = capacity.reset_index()[["buyer", "technology"]].assign(new_capacity_t=new)
    return PlannerResult(
        scheme=scheme,
        paths=paths.reset_index(drop=True),
        by_waste=by_waste.rename_axis("byproduct").reset_index(),
        totals=pd.DataFrame([totals]),
        new_capacity=new_capacity[new_capacity["new_capacity_t"] > SOLUTION_TONNE_TOLERANCE].reset_index(drop=True),
    )


def solve_all(snapshot: Snapshot, schemes: tuple[str, ...] = SCHEMES) -> dict[str, PlannerResult]:
    """Every scheme for one snapshot."""
    return {scheme: solve(snapshot, scheme) for scheme in schemes}
