"""The planner's symbiosis network for a supply and capacity snapshot (Cao et al. 2025, eq. 1-5; docs/planner.md).

Three schemes, each a linear program (the economic ones a mixed-integer program when a VAT
rebate applies), solved with HiGHS through :func:`scipy.optimize.milp` on sparse matrices, in
kilotonnes (in tonnes, bounds span 10^-10 to 10^7 and HiGHS spends its time on numerics), with
the rebate binary of a plant that cannot reach its threshold even at its full caps fixed at 0:

* ``theoretical``: maximise the tonnes used, subject to supply (eq. 2) and the technology caps
  (eq. 3, including the caps shared by a group of technologies); no prices (among solutions
  with equal tonnes, the one that needs the least new capacity).
* ``economic``: maximise total profit (eq. 1) -- for every tonne on a route, what the buyer
  saves (avoided material less processing, plus subsidies and avoided emission charges) less
  transport, less the seller's own outside option (landfill fee and EP tax avoided, net of the
  cost of supplying) -- less the annualised cost of new technology capacity beyond what is
  installed, plus the VAT rebate of each plant that reaches its threshold share of listed wastes
  (eq. 5, one binary per plant), plus, where the snapshot has *outlets* (the rest of the
  economy's demand, :mod:`symbiosim.environment.outlets`), the margin of every tonne sold to an
  outlet's demand block: its gate value less the seller's own outside option. Outlet tonnes
  share the seller's supply (eq. 2) with the routes and are bounded by each block's capacity;
  they carry no energy or emission effects (an outlet is business-as-usual use, not symbiosis).
* ``win_win``: the economic optimum restricted to routes that save energy and avoid CO2 net of
  transport (the "economic-environmental win-win" scheme, 经济、环境双赢, of Cao et al. 2025, §1.2);
  outlets stay open to it.

The theoretical scheme leaves outlets out: it measures how many tonnes symbiosis could use,
and a tonne sold to an outlet is not symbiosis.

The price paid for a by-product is a transfer between seller and buyer and cancels in the total;
eq. 4 (the buyer's cost may not exceed the product price) holds at the optimum because every
route used has a positive margin. Variables: tonnes on each route, new capacity at each
(buyer, technology), tonnes from each seller to each outlet block and, for the VAT rebate, one
binary per plant, and, in the economic schemes, one binary per route that has a set-up cost
(``setup_cny``: a route carries tonnes only if it is set up, and its set-up is paid).
"""

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse

__all__ = ["SCHEMES", "PlannerError", "PlannerResult", "Snapshot", "solve", "solve_all"]

SCHEMES = ("theoretical", "economic", "win_win")
EFFECTS = ("energy_saved_tce", "co2_avoided_t", "so2_avoided_t", "nox_avoided_t", "pm_avoided_t")
ROUTE_COLUMNS = ("seller", "buyer", "byproduct", "technology", "distance_km", "margin_cny_per_t", "is_listed_waste")
OUTLET_BID_COLUMNS = ("outlet", "byproduct", "block", "gate_value_cny_per_t", "cap_t")
OUTLET_SELLER_COLUMNS = ("seller", "outlet", "own_cny_per_t")
OUTLET_SALE_COLUMNS = ("seller", "outlet", "byproduct", "tonnes", "profit_cny")
SOLUTION_TONNE_TOLERANCE = 1e-6  # tonnes below this in a solution are rounding, not a path
NEW_CAPACITY_TIE_BREAK = 1e-6  # theoretical scheme: cost of a tonne of new capacity, in tonnes used
TONNES_PER_UNIT = 1000.0  # HiGHS's unit of tonnes: kilotonnes
INTEGRAL_TOLERANCE = 1e-9  # a binary of the LP relaxation this close to 0 or 1 is taken as integral


class PlannerError(ValueError):
    """The snapshot cannot be optimised; the message names the cause."""


def _table(columns: tuple[str, ...]) -> pd.DataFrame:
    """An empty table with these columns."""
    return pd.DataFrame(columns=list(columns))


@dataclass(frozen=True)
class Snapshot:
    """Supply, capacity and route economics of one period (a year, or a month).

    Attributes:
        routes: one row per route: ``seller``, ``buyer`` (facility ids), ``byproduct``,
            ``technology``, ``distance_km``, ``margin_cny_per_t`` (the route's total surplus per
            tonne before any new capacity, net of the seller's *own* reservation: its disposal
            alternative, not the outlets, which are explicit below), ``is_listed_waste`` (counts
            toward the VAT-rebate threshold), ``group`` (the cap group of the technology) and,
            per tonne, ``energy_saved_tce`` and ``co2_avoided_t``, ``so2_avoided_t``,
            ``nox_avoided_t``, ``pm_avoided_t`` (net of transport); optionally ``setup_cny``, the
            cost of setting the route up, for the period (0 or missing: none).
        supply: tonnes available by ``seller`` and ``byproduct`` (column ``supply_t``).
        capacity: by ``buyer`` and ``technology``: ``cap_t`` (the standard's cap on the
            period's output, eq. 3), ``installed_t`` (capacity in place for the period) and
            ``upgrade_cny_per_t`` (annualised cost of a tonne of new capacity, for the period).
        group_capacity: by ``buyer`` and ``group``: ``cap_t`` shared by the group's technologies.
        vat: by ``buyer``: ``rebate_cny`` (won when the threshold is met) and ``needed_t``
            (tonnes of listed wastes that meet it); empty when no rebate applies.
        period: a label, e.g. ``"2030"``.
        outlet_bids: one row per demand block of each outlet (the rest of the economy's demand,
            :mod:`symbiosim.environment.outlets`): ``outlet``, ``byproduct``, ``block``,
            ``gate_value_cny_per_t`` (the block's delivered price less the haul its users pay)
            and ``cap_t`` (tonnes the block takes in the period); empty when there are no outlets.
        outlet_sellers: one row per ``seller`` and ``outlet`` it may sell to, with
            ``own_cny_per_t``: the seller's own reservation for the outlet's by-product (supply
            cost less the disposal charges a sale avoids), the one the route margins are net of.
    """

    routes: pd.DataFrame
    supply: pd.DataFrame
    capacity: pd.DataFrame
    group_capacity: pd.DataFrame
    vat: pd.DataFrame = field(default_factory=lambda: _table(("buyer", "rebate_cny", "needed_t")))
    period: str = ""
    outlet_bids: pd.DataFrame = field(default_factory=lambda: _table(OUTLET_BID_COLUMNS))
    outlet_sellers: pd.DataFrame = field(default_factory=lambda: _table(OUTLET_SELLER_COLUMNS))


@dataclass(frozen=True, eq=False)
class PlannerResult:
    """The optimal network of one scheme.

    Attributes:
        scheme: ``theoretical``, ``economic`` or ``win_win``.
        paths: routes used: ``seller``, ``buyer``, ``byproduct``, ``technology``, ``tonnes``,
            ``distance_km``, ``profit_cny`` (margin x tonnes) and the effects (tce, t).
        by_waste: by ``byproduct``: ``supply_t``, ``used_t`` (on symbiosis routes),
            ``outlet_t`` (sold to outlets), ``utilisation_rate`` (used / supply: symbiosis only).
        totals: one row of totals: tonnes used (symbiosis routes) and sold to outlets, profit
            (CNY: routes and outlets, after new capacity, VAT rebates and route set-ups), route and outlet
            profit, the effects, paths, new capacity (t), plants winning the rebate, solve time
            (s), MIP gap, status and the problem size (variables, constraints, non-zeros).
        new_capacity: by ``buyer`` and ``technology``: ``new_capacity_t`` (> 0 only).
        outlet_sales: by ``seller`` and ``outlet``: ``byproduct``, ``tonnes`` and ``profit_cny``
            (gate value less the seller's own reservation, x tonnes, over the outlet's blocks).
    """

    scheme: str
    paths: pd.DataFrame
    by_waste: pd.DataFrame
    totals: pd.DataFrame
    new_capacity: pd.DataFrame
    outlet_sales: pd.DataFrame


def _codes(
    frame: pd.DataFrame, keys: list[str], index: pd.MultiIndex | pd.Index, what: str, row: str = "route"
) -> NDArray[np.intp]:
    """Position of each row of ``frame`` in a keyed table (supply, capacity, group capacity)."""
    positions = index.get_indexer(pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else frame[keys[0]])
    if (positions < 0).any():
        first = frame.loc[positions < 0, keys].iloc[0].to_dict()
        raise PlannerError(f"{row} {first} has no row in the {what} table")
    return positions


def _first(frame: pd.DataFrame, mask: NDArray[np.bool_], keys: list[str]) -> dict[str, object]:
    """The keys of the first row of ``frame`` where ``mask`` holds, to name it in a message."""
    return frame.loc[mask, keys].iloc[0].to_dict()


def _check(snapshot: Snapshot) -> None:
    routes = snapshot.routes
    for name, frame, needed in (
        ("routes", routes, (*ROUTE_COLUMNS, "group", *EFFECTS)),
        ("outlet_bids", snapshot.outlet_bids, OUTLET_BID_COLUMNS),
        ("outlet_sellers", snapshot.outlet_sellers, OUTLET_SELLER_COLUMNS),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise PlannerError(f"{name} lack columns {missing}")
    signed = {"margin_cny_per_t", "gate_value_cny_per_t", "own_cny_per_t", *EFFECTS}
    for name, frame, columns in (
        ("supply", snapshot.supply, ("supply_t",)),
        ("capacity", snapshot.capacity, ("cap_t", "installed_t", "upgrade_cny_per_t")),
        ("group capacity", snapshot.group_capacity, ("cap_t",)),
        ("routes", routes, ("distance_km", "margin_cny_per_t", *EFFECTS, *(["setup_cny"] if "setup_cny" in routes else []))),
        ("vat", snapshot.vat, ("rebate_cny", "needed_t")),
        ("outlet_bids", snapshot.outlet_bids, ("gate_value_cny_per_t", "cap_t")),
        ("outlet_sellers", snapshot.outlet_sellers, ("own_cny_per_t",)),
    ):
        for column in columns:
            values = frame[column].to_numpy(dtype=float)
            if not np.isfinite(values).all():
                raise PlannerError(f"{name}.{column} has missing or infinite values")
            if column not in signed and (values < 0).any():
                raise PlannerError(f"{name}.{column} has negative values (min {values.min():g})")
    _check_outlets(snapshot)


def _check_outlets(snapshot: Snapshot) -> None:
    """Each outlet buys one by-product, lists each block once and sells only to known sellers with supply."""
    bids, sellers = snapshot.outlet_bids.reset_index(drop=True), snapshot.outlet_sellers.reset_index(drop=True)
    repeated = bids.duplicated(["outlet", "block"]).to_numpy()
    if repeated.any():
        row = _first(bids, repeated, ["outlet", "block"])
        raise PlannerError(f"outlet_bids row {row} repeats an (outlet, block)")
    mixed = (bids["byproduct"] != bids.groupby("outlet")["byproduct"].transform("first")).to_numpy()
    if mixed.any():
        row = _first(bids, mixed, ["outlet", "block", "byproduct"])
        raise PlannerError(f"outlet_bids row {row} gives its outlet a second by-product")
    byproduct_of = bids.drop_duplicates("outlet").set_index("outlet")["byproduct"]
    unknown = ~sellers["outlet"].isin(byproduct_of.index).to_numpy()
    if unknown.any():
        row = _first(sellers, unknown, ["seller", "outlet"])
        raise PlannerError(f"outlet_sellers row {row} names an outlet with no row in the outlet_bids table")
    repeated = sellers.duplicated(["seller", "outlet"]).to_numpy()
    if repeated.any():
        row = _first(sellers, repeated, ["seller", "outlet"])
        raise PlannerError(f"outlet_sellers row {row} repeats a (seller, outlet)")
    keyed = sellers.assign(byproduct=sellers["outlet"].map(byproduct_of))
    supplied = pd.MultiIndex.from_frame(snapshot.supply[["seller", "byproduct"]])
    unsupplied = ~pd.MultiIndex.from_frame(keyed[["seller", "byproduct"]]).isin(supplied)
    if unsupplied.any():
        row = _first(keyed, unsupplied, ["seller", "outlet", "byproduct"])
        raise PlannerError(f"outlet_sellers row {row} has no row in the supply table")
    first_own = keyed.groupby(["seller", "byproduct"])["own_cny_per_t"].transform("first")
    twice = (keyed["own_cny_per_t"] != first_own).to_numpy()
    if twice.any():
        row = _first(keyed, twice, ["seller", "outlet", "byproduct"])
        raise PlannerError(f"outlet_sellers row {row} gives its seller a second own reservation for the by-product")


def _outlet_pairs(bids: pd.DataFrame, sellers: pd.DataFrame) -> pd.DataFrame:
    """One row per seller and outlet block it may sell to.

    Returns:
        ``seller``, ``outlet``, ``byproduct``, ``block``, ``bid`` (row of ``bids``), ``cap_t``
        and ``margin_cny_per_t``: the block's gate value less the seller's own reservation.
    """
    numbered = bids.reset_index(drop=True).rename_axis("bid").reset_index()
    pairs = sellers.reset_index(drop=True).merge(numbered, on="outlet", how="inner")
    margin = pairs["gate_value_cny_per_t"].to_numpy(dtype=float) - pairs["own_cny_per_t"].to_numpy(dtype=float)
    return pairs.assign(margin_cny_per_t=margin)


def solve(
    snapshot: Snapshot, scheme: str = "economic", relax: bool = False, time_limit_s: float = 60.0
) -> PlannerResult:
    """Solve one scheme for a snapshot.

    Args:
        snapshot: supply, capacity, route economics and outlets.
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
    if scheme != "theoretical":  # a route without margin can only help a plant reach a VAT threshold: keep those alone
        plants = snapshot.vat.loc[snapshot.vat["rebate_cny"] > 0, "buyer"]
        rebated = routes["is_listed_waste"].astype(bool) & routes["buyer"].isin(plants)
        routes = routes[(routes["margin_cny_per_t"] > 0) | rebated].reset_index(drop=True)
    supply = snapshot.supply.set_index(["seller", "byproduct"])["supply_t"]
    capacity = snapshot.capacity.set_index(["buyer", "technology"])
    groups = snapshot.group_capacity.set_index(["buyer", "group"])["cap_t"]
    is_economic = scheme != "theoretical"
    # theoretical counts symbiosis tonnes only, so the outlets have no variables in it
    sellers = snapshot.outlet_sellers if is_economic else snapshot.outlet_sellers.iloc[0:0]
    pairs = _outlet_pairs(snapshot.outlet_bids, sellers)
    n_r, n_c, n_w = len(routes), len(capacity), len(pairs)
    at_supply = _codes(routes, ["seller", "byproduct"], supply.index, "supply")
    at_capacity = _codes(routes, ["buyer", "technology"], capacity.index, "capacity")
    at_group = _codes(routes, ["buyer", "group"], groups.index, "group capacity")
    at_seller = _codes(pairs, ["seller", "byproduct"], supply.index, "supply", "outlet seller")
    bid_rows, at_bid = np.unique(pairs["bid"].to_numpy(dtype=np.intp), return_inverse=True)
    vat = snapshot.vat[snapshot.vat["rebate_cny"] > 0] if is_economic else snapshot.vat.iloc[0:0]
    vat = vat[vat["buyer"].isin(routes["buyer"].unique())].reset_index(drop=True)  # unique: isin on many strings is slow
    n_v = len(vat)
    setup = routes["setup_cny"].to_numpy(float) if is_economic and "setup_cny" in routes else np.zeros(n_r)
    opened = np.flatnonzero(setup > 0)  # routes that carry tonnes only once set up
    n_s = len(opened)
    # variables: route tonnes (n_r), new capacity (n_c), outlet-block tonnes (n_w), VAT binaries (n_v), set-ups (n_s)
    n, r, w = n_r + n_c + n_w + n_v + n_s, np.arange(n_r), n_r + n_c + np.arange(n_w)
    blocks = [
        sparse.csr_array(
            (np.ones(n_r + n_w), (np.concatenate([at_supply, at_seller]), np.concatenate([r, w]))),
            shape=(len(supply), n),
        ),
        sparse.csr_array(
            (
                np.concatenate([np.ones(n_r), -np.ones(n_c)]),
                (np.concatenate([at_capacity, np.arange(n_c)]), np.concatenate([r, n_r + np.arange(n_c)])),
            ),
            shape=(n_c, n),
        ),
        sparse.csr_array((np.ones(n_r), (at_group, r)), shape=(len(groups), n)),
    ]
    lower = [np.full(len(supply), -np.inf), np.full(n_c, -np.inf), np.full(len(groups), -np.inf)]
    upper = [supply.to_numpy(float), capacity["installed_t"].to_numpy(float), groups.to_numpy(float)]
    if n_w:
        # each outlet block takes at most its capacity, from all its sellers together
        blocks.append(sparse.csr_array((np.ones(n_w), (at_bid, w)), shape=(len(bid_rows), n)))
        lower.append(np.full(len(bid_rows), -np.inf))
        upper.append(snapshot.outlet_bids["cap_t"].to_numpy(dtype=float)[bid_rows])
    if n_v:
        listed = routes["is_listed_waste"].to_numpy(bool)
        plant = pd.Index(vat["buyer"]).get_indexer(routes["buyer"])
        use = listed & (plant >= 0)
        rows = np.concatenate([plant[use], np.arange(n_v)])
        cols = np.concatenate([r[use], n_r + n_c + n_w + np.arange(n_v)])
        data = np.concatenate([np.ones(use.sum()), -vat["needed_t"].to_numpy(float)])
        blocks.append(sparse.csr_array((data, (rows, cols)), shape=(n_v, n)))
        lower.append(np.zeros(n_v))
        upper.append(np.full(n_v, np.inf))
    if n_s:
        # tonnes on a route that needs setting up <= its seller's supply x its set-up binary
        most = supply.to_numpy(float)[at_supply[opened]]
        cols = np.concatenate([opened, n_r + n_c + n_w + n_v + np.arange(n_s)])
        blocks.append(sparse.csr_array((np.concatenate([np.ones(n_s), -most]), (np.tile(np.arange(n_s), 2), cols)),
                                       shape=(n_s, n)))  # fmt: skip
        lower.append(np.full(n_s, -np.inf))
        upper.append(np.zeros(n_s))
    matrix = sparse.vstack(blocks, format="csr")
    room = np.maximum(capacity["cap_t"].to_numpy(float) - capacity["installed_t"].to_numpy(float), 0.0)
    if is_economic:
        gain = np.concatenate(
            [
                routes["margin_cny_per_t"].to_numpy(float),
                -capacity["upgrade_cny_per_t"].to_numpy(float),
                pairs["margin_cny_per_t"].to_numpy(float),
                vat["rebate_cny"].to_numpy(float),
                -setup[opened],
            ]
        )
    else:
        # most tonnes; among equal tonnes, the least new capacity (a tie-break worth nothing beside a tonne)
        gain = np.concatenate([np.ones(n_r), np.full(n_c, -NEW_CAPACITY_TIE_BREAK), np.zeros(n_w + n_v + n_s)])
    integrality = np.concatenate([np.zeros(n_r + n_c + n_w), np.full(n_v + n_s, 0.0 if relax else 1.0)])
    upper_x = np.concatenate([np.full(n_r, np.inf), room, np.full(n_w, np.inf), np.ones(n_v + n_s)])
    if n_v:  # a plant that cannot reach its threshold even with all its listed capacity cannot win the rebate
        lines = np.unique(np.column_stack([plant[use], at_capacity[use]]), axis=0)  # each (plant, line) once
        line_t = np.maximum(capacity["cap_t"].to_numpy(float), capacity["installed_t"].to_numpy(float))
        reachable = np.bincount(lines[:, 0], weights=line_t[lines[:, 1]], minlength=n_v)
        upper_x[n_r + n_c + n_w : n_r + n_c + n_w + n_v] = reachable >= vat["needed_t"].to_numpy(float)
    # HiGHS solves in kilotonnes: in tonnes the bounds span 10^-10 to 10^7 and it spends its time on numerics
    unit = np.concatenate([np.full(n_r + n_c + n_w, TONNES_PER_UNIT), np.ones(n_v + n_s)])
    from scipy.optimize import Bounds, LinearConstraint, milp  # 0.2 s: loaded when a plan is solved

    problem = {"c": -gain * unit, "bounds": Bounds(np.zeros(n), upper_x / unit),
               "constraints": LinearConstraint((matrix @ sparse.diags_array(unit)) / TONNES_PER_UNIT,
                                               np.concatenate(lower) / TONNES_PER_UNIT, np.concatenate(upper) / TONNES_PER_UNIT),
               "options": {"time_limit": time_limit_s, "mip_rel_gap": 1e-6}}  # fmt: skip
    started = time.perf_counter()
    # the LP relaxation first: where its binaries come out 0 or 1 it is the MILP's optimum (an upper bound attained)
    result = milp(integrality=np.zeros(n), **problem)
    binaries = result.x[n_r + n_c + n_w :] if result.x is not None else np.full(n_v + n_s, 0.5)
    if integrality.any() and np.abs(binaries - np.round(binaries)).max(initial=0.0) > INTEGRAL_TOLERANCE:
        result = milp(integrality=integrality, **problem)
    elif integrality.any():
        result.x[n_r + n_c + n_w :] = np.round(binaries)
    seconds = time.perf_counter() - started
    if result.x is None:
        raise PlannerError(
            f"HiGHS found no solution for the {scheme} scheme: {result.message} (status {result.status})"
        )
    result.x = result.x * unit
    return _result(scheme, snapshot, routes, capacity, vat, pairs, result, seconds, matrix, at_capacity)


def _rounded(tonnes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Solution tonnes with rounding noise set to 0."""
    return np.where(tonnes > SOLUTION_TONNE_TOLERANCE, tonnes, 0.0)


def _result(
    scheme: str,
    snapshot: Snapshot,
    routes: pd.DataFrame,
    capacity: pd.DataFrame,
    vat: pd.DataFrame,
    pairs: pd.DataFrame,
    result: object,
    seconds: float,
    matrix: sparse.csr_array,
    at_capacity: NDArray[np.intp],
) -> PlannerResult:
    n_r, n_c, n_w = len(routes), len(capacity), len(pairs)
    tonnes = _rounded(result.x[:n_r])
    # new capacity: what the tonnes need beyond what is installed
    used = np.bincount(at_capacity, weights=tonnes, minlength=n_c)
    new = np.maximum(used - capacity["installed_t"].to_numpy(float), 0.0)
    outlet_tonnes = _rounded(result.x[n_r + n_c : n_r + n_c + n_w])
    share_won = result.x[n_r + n_c + n_w : n_r + n_c + n_w + len(vat)]  # 0 or 1; between them in the LP relaxation
    used_routes = routes.assign(tonnes=tonnes)[tonnes > 0]
    shown = ["seller", "buyer", "byproduct", "technology", "tonnes", "distance_km", "mode"]
    paths = used_routes[[c for c in shown if c in used_routes.columns]].copy()  # mode: where the snapshot names it
    paths["profit_cny"] = used_routes["margin_cny_per_t"] * used_routes["tonnes"]
    for effect in EFFECTS:
        paths[effect] = used_routes[effect] * used_routes["tonnes"]
    sold = pairs.assign(tonnes=outlet_tonnes, profit_cny=pairs["margin_cny_per_t"] * outlet_tonnes)[outlet_tonnes > 0]
    sales = sold.groupby(["seller", "outlet", "byproduct"], sort=False)[["tonnes", "profit_cny"]].sum().reset_index()
    supply = snapshot.supply.groupby("byproduct")["supply_t"].sum()
    by_waste = pd.DataFrame({"supply_t": supply, "used_t": paths.groupby("byproduct")["tonnes"].sum()})
    by_waste["used_t"] = by_waste["used_t"].fillna(0.0)
    to_outlets = sales.groupby("byproduct")["tonnes"].sum()
    by_waste["outlet_t"] = to_outlets.reindex(by_waste.index, fill_value=0.0).astype(float)
    by_waste["utilisation_rate"] = (by_waste["used_t"] / by_waste["supply_t"]).where(by_waste["supply_t"] > 0)
    upgrade = float((capacity["upgrade_cny_per_t"].to_numpy(float) * new).sum())
    rebate = float((vat["rebate_cny"].to_numpy(float) * share_won).sum()) if len(vat) else 0.0
    route_profit, outlet_profit = float(paths["profit_cny"].sum()), float(sales["profit_cny"].sum())
    # set-ups at their binaries' values (a share of the cost in the LP relaxation, like the rebate)
    opened = result.x[n_r + n_c + n_w + len(vat) :]
    costs = routes["setup_cny"].to_numpy(float) if len(opened) else np.zeros(0)
    setup = float((costs[costs > 0] * opened).sum())
    totals = {
        "scheme": scheme,
        "period": snapshot.period,
        "tonnes_used": float(tonnes.sum()),
        "outlet_t": float(outlet_tonnes.sum()),
        "profit_cny": route_profit + outlet_profit - upgrade + rebate - setup,
        "route_profit_cny": route_profit,
        "outlet_profit_cny": outlet_profit,
        "new_capacity_cost_cny": upgrade,
        "vat_rebate_cny": rebate,
        "setup_cost_cny": setup,
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
        outlet_sales=sales[list(OUTLET_SALE_COLUMNS)],
    )


def solve_all(snapshot: Snapshot, schemes: tuple[str, ...] = SCHEMES) -> dict[str, PlannerResult]:
    """Every scheme for one snapshot."""
    return {scheme: solve(snapshot, scheme) for scheme in schemes}
