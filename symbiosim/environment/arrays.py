"""Turn a scenario's tables into the arrays the model computes with.

Index conventions: ``n`` facilities (node ids 0..n-1, in facility-table order), ``P``
products, ``B`` by-products, ``K`` technologies, ``M`` materials, all in table order.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from symbiosim.environment.disposal import DisposalRoutes
from symbiosim.environment.outlets import Outlets
from symbiosim.environment.overrides import behaviour_values, byproduct_behaviour_values
from symbiosim.environment.quantities import byproduct_units, in_tonnes
from symbiosim.environment.scenario import Scenario
from symbiosim.environment.units import MONTHS_PER_YEAR
from symbiosim.environment.validation import optional_floats

__all__ = ["MONTHS_PER_YEAR", "CatalogArrays", "build_arrays"]

WILDCARD_ROUTE = "*"
POLLUTANTS = ("so2", "nox", "pm")


@dataclass
class CatalogArrays:
    """Facility, product, by-product, technology and material data as arrays."""

    facilities: pd.DataFrame
    facility_ids: list[str]
    products: list[str]
    byproducts: list[str]
    technologies: list[str]
    materials: list[str]
    capacity_per_yr: NDArray[np.float64]  # (n, P) product units per year
    utilisation: NDArray[np.float64]  # (n, P)
    own_rate: NDArray[np.bool_]  # (n, P) the facility has a utilisation of its own (table facility_products)
    season: NDArray[np.float64]  # (n, 12)
    must_run: NDArray[np.float64]  # (n, 12) share of capacity run at least (a CHP plant in the heating season)
    # (n, 12) each facility's usual output by calendar month relative to utilisation x capacity, as its agent class
    # dispatches it without policies: what contracts are scaled by (the seasonal factor, set by the model)
    expected_season: NDArray[np.float64]
    product_factors: dict[str, NDArray[np.float64]]  # (n, P) per unit: price, cost, energy_kgce, co2_kg, so2_kg...
    generation_t_per_unit: NDArray[np.float64]  # (n, P, B)
    byproduct: pd.DataFrame  # byproducts table in B order
    technology: pd.DataFrame  # technologies table in K order
    tech_byproduct: NDArray[np.intp]  # (K,)
    tech_cap_product: NDArray[np.intp]  # (K,)
    tech_material: NDArray[np.intp]  # (K,)
    tech_is_symbiosis: NDArray[np.bool_]  # (K,) effects count as symbiosis savings
    tech_nameplate_base: NDArray[np.bool_]  # (K,) starts at its full cap where installed (not sized to use)
    tech_group: NDArray[np.intp]  # (K,) cap group of each technology (own group when blank)
    group_cap_t_per_t: NDArray[np.float64]  # (G,) shared cap per unit of the group's cap product
    facility_group_cap: NDArray[np.float64]  # (n, G) each facility's: the catalog's, or its stated one (facility_technologies)
    group_cap_product: NDArray[np.intp]  # (G,)
    material_factors: dict[str, NDArray[np.float64]]  # (M,) price, energy_kgce, co2_kg, so2_kg, nox_kg, pm_kg
    eligible: NDArray[np.bool_]  # (n, K)
    full_cap_tpa: NDArray[np.float64]  # (n, K) max by-product use per year at full capacity
    main_product: NDArray[np.intp]  # (n,) largest-capacity product (0 when none)
    supply_elasticity: NDArray[np.float64]  # (n,) the sector's short-run elasticity of output to its net price
    mean_generation_t: NDArray[np.float64]  # (n, B) t per month at the sector's utilisation, no season
    disposal: DisposalRoutes  # each by-product's disposal route: landfill, a treatment, or not extracted
    byproduct_units: list[str]  # (B,) unit of each by-product's quantities (t, MWh, GJ, m3)
    in_tonnes: NDArray[np.bool_]  # (B,) the by-product is measured in tonnes (totals in t count only these)
    landfill_fee_cny_per_t: NDArray[np.float64]  # (B,) catalog gate fee
    ep_tax_cny_per_t: NDArray[np.float64]  # (B,) catalog EP tax on landfilled tonnes
    storage_cost_cny_per_t_month: NDArray[np.float64]  # (B,)
    storage_months: NDArray[np.float64]  # (B,) storage limit in months of generation
    supply_cost_cny_per_t: NDArray[np.float64]  # (B,)
    bau_landfill_share: NDArray[np.float64]  # (B,) share business as usual leaves unused (1 when not stated)
    contract_months: NDArray[np.int64]  # (B,)
    link_setup_cny: NDArray[np.float64]  # (B,) one-off cost of a new route
    link_setup_cny_per_km: NDArray[np.float64]  # (B,) one-off cost of a new route per km
    link_setup_seller_share: NDArray[np.float64]  # (B,) the seller's part of a set-up (NaN: in proportion to gains)
    tech_capex_cny_per_tpa: NDArray[np.float64]  # (K,)
    tech_lifetime_yr: NDArray[np.int64]  # (K,)
    tech_learning_rate: NDArray[np.float64]  # (K,) share by which capex and opex fall per doubling
    tech_opex_cny_per_t: NDArray[np.float64]  # (K,)
    tech_displaced_per_t: NDArray[np.float64]  # (K,)
    tech_cap_t_per_t: NDArray[np.float64]  # (K,)
    tech_avoided_cny_per_t: NDArray[np.float64]  # (K,) value of the material a tonne displaces
    own_behaviour: dict[str, NDArray[np.float64]]  # (n,) per behaviour parameter: a facility's own value, NaN if none
    byproduct_behaviour: dict[str, NDArray[np.float64]]  # (B,) per by-product parameter: its own value, NaN if none
    outlets: Outlets  # the rest of the economy's demand for by-products
    transport_modes: pd.DataFrame  # modes beside road, per by-product (catalog/transport_modes.csv)

    @property
    def n_facilities(self) -> int:
        """Number of facilities."""
        return len(self.facility_ids)

    @cached_property
    def province_code(self) -> NDArray[np.intp]:
        """(facilities,) each facility's province as a code (the order of first appearance; the table does not change)."""
        return pd.factorize(self.facilities["province"])[0]

    @property
    def is_landfilled(self) -> NDArray[np.bool_]:
        """(B,) unsold tonnes are landfilled."""
        return self.disposal.is_landfilled

    @property
    def is_solid(self) -> NDArray[np.bool_]:
        """(B,) solid wastes: by-products in tonnes whose unsold tonnes are landfilled or treated."""
        return self.disposal.is_solid

    @property
    def not_in_tonnes(self) -> list[str]:
        """The by-products measured in another unit than tonnes (MWh, GJ, m3)."""
        return [b for b, tonnes in zip(self.byproducts, self.in_tonnes, strict=True) if not tonnes]

    def behaviour(self, name: str, params: Mapping[str, float]) -> NDArray[np.float64]:
        """(n,) each facility's value of a behaviour parameter: its own (table ``behaviour``) or the run's."""
        own = self.own_behaviour[name]
        return np.where(np.isnan(own), params[name], own)

    def byproduct_value(self, name: str, params: Mapping[str, float]) -> NDArray[np.float64]:
        """(B,) each by-product's value of a by-product parameter: its own (table ``behaviour``) or the run's."""
        own = self.byproduct_behaviour[name]
        return np.where(np.isnan(own), params[name], own)

    def in_use(self) -> tuple[list[str], list[str]]:
        """The by-products some facility generates, and the technologies some facility can install for them.

        A catalog keeps rows a scenario's facilities never touch (a park without steel plants has
        no slag); counts and tables of a scenario leave those out.
        """
        generated = self.mean_generation_t.sum(axis=0) > 0
        usable = self.eligible.any(axis=0) & generated[self.tech_byproduct]
        byproducts = [b for b, used in zip(self.byproducts, generated, strict=True) if used]
        return byproducts, [t for t, used in zip(self.technologies, usable, strict=True) if used]


def _index(values: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def _own_rows(scenario: Scenario, table: str, fid: dict[str, int]) -> list[tuple[int, object]]:
    """The rows of a per-facility table (none when the scenario has no such table), with each facility's index."""
    if table not in scenario.tables:
        return []
    return [(fid[row.facility_id], row) for row in scenario.table(table).itertuples(index=False) if row.facility_id in fid]


DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def heating_share(start_day: float, end_day: float) -> NDArray[np.float64]:
    """Share of each calendar month's days within the heating season (days of a non-leap year, 1-365).

    The season runs from ``start_day`` to ``end_day`` inclusive, across the new year when it
    starts later than it ends.

    >>> heating_share(319, 74).round(3).tolist()  # 15 November to 15 March
    [1.0, 1.0, 0.484, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.533, 1.0]
    """
    day = np.arange(1, 366)
    inside = (day >= start_day) & (day <= end_day) if start_day <= end_day else (day >= start_day) | (day <= end_day)
    month = np.repeat(np.arange(MONTHS_PER_YEAR), DAYS_IN_MONTH)
    return np.bincount(month, inside, MONTHS_PER_YEAR) / DAYS_IN_MONTH


def _sector_values(table: pd.DataFrame, column: str, sectors: NDArray[np.object_]) -> NDArray[np.float64]:
    """An optional sector column per facility (0 where the column is missing or blank)."""
    of_sector = dict(zip(table["sector"], optional_floats(table, column, 0.0), strict=True))
    return np.array([of_sector.get(sector, 0.0) for sector in sectors], dtype=float)


def build_arrays(scenario: Scenario, parameters: Mapping[str, float] | None = None) -> CatalogArrays:
    """Arrays for a validated scenario (see module docstring for the index order).

    ``parameters`` (default: the scenario's) gives ``outlet_demand_blocks``,
    ``freight_tariff_factor`` and the heating season and CHP floor; a run passes its
    parameters with their overrides.
    """
    params = scenario.parameters if parameters is None else parameters
    fac = scenario.table("facilities").reset_index(drop=True)
    grades = scenario.table("emission_grades")
    grade_of = dict(zip(grades["facility_id"], grades["emission_grade"], strict=True))
    fac["emission_grade"] = [grade_of.get(facility_id, "") for facility_id in fac["facility_id"]]  # "" = ungraded
    prod_table = scenario.table("products")
    byp = scenario.table("byproducts").reset_index(drop=True)
    tech = scenario.table("technologies").reset_index(drop=True)
    mat = scenario.table("materials").reset_index(drop=True)
    products = list(dict.fromkeys(prod_table["product"]))
    byproducts, technologies, materials = list(byp["byproduct"]), list(tech["technology"]), list(mat["material"])
    fid, pid, bid, mid = _index(list(fac["facility_id"])), _index(products), _index(byproducts), _index(materials)
    n, n_p, n_b = len(fac), len(products), len(byproducts)
    sectors = fac["sector"].to_numpy()

    capacity = np.zeros((n, n_p))
    caps = scenario.table("capacities")
    caps = caps[caps["facility_id"].isin(fid)]
    np.add.at(
        capacity,
        (caps["facility_id"].map(fid).to_numpy(), caps["product"].map(pid).to_numpy()),
        caps["capacity_per_yr"].to_numpy(dtype=float),
    )

    util = np.zeros((n, n_p))
    factor_columns = {
        "price_cny": "price_cny_per_unit",
        "cost_cny": "cost_cny_per_unit",
        "energy_kgce": "energy_kgce_per_unit",
        "co2_kg": "co2_kg_per_unit",
        **{f"{p}_kg": f"{p}_kg_per_unit" for p in POLLUTANTS},
    }
    factors = {name: np.zeros((n, n_p)) for name in factor_columns}
    for row in prod_table.itertuples(index=False):
        rows = sectors == row.sector
        j = pid[row.product]
        util[rows, j] = row.utilisation
        for name, column in factor_columns.items():
            factors[name][rows, j] = getattr(row, column)

    own_rate = np.zeros((n, n_p), dtype=bool)
    for i, row in _own_rows(scenario, "facility_products", fid):  # a facility's own utilisation, price or cost
        j = pid[row.product]
        own_rate[i, j] = isinstance(row.utilisation, float) and not np.isnan(row.utilisation)
        for array, value in ((util, row.utilisation), (factors["price_cny"], row.price_cny_per_unit),
                             (factors["cost_cny"], row.cost_cny_per_unit)):  # fmt: skip
            if isinstance(value, float) and not np.isnan(value):
                array[i, j] = value

    season = np.ones((n, MONTHS_PER_YEAR))
    season_of_sector: dict[str, NDArray[np.float64]] = {}
    for row in scenario.table("seasonality").itertuples(index=False):
        season[sectors == row.sector, int(row.month) - 1] = row.factor
        season_of_sector.setdefault(row.sector, np.ones(MONTHS_PER_YEAR))[int(row.month) - 1] = row.factor
    for i, row in _own_rows(scenario, "facility_seasonality", fid):
        season[i, int(row.month) - 1] = row.factor

    chp = fac["chp"].map(lambda value: value is True).to_numpy(dtype=bool) if "chp" in fac else np.zeros(n, dtype=bool)
    heating = heating_share(params["heating_season_start_day"], params["heating_season_end_day"])
    must_run = np.outer(chp * params["chp_heating_floor"], heating)

    gen = np.zeros((n, n_p, n_b))
    generation = scenario.table("generation")
    routes = fac["route"].astype(str).to_numpy()
    for is_wildcard in (True, False):  # route-specific rows override the wildcard
        for row in generation[(generation["route"] == WILDCARD_ROUTE) == is_wildcard].itertuples(index=False):
            rows = (sectors == row.sector) & (is_wildcard | (routes == row.route))
            gen[rows, pid[row.product], bid[row.byproduct]] = row.t_per_unit

    tech_byproduct = tech["byproduct"].map(bid).to_numpy(dtype=np.intp)
    tech_cap_product = tech["cap_product"].map(pid).to_numpy(dtype=np.intp)
    tech_requires = tech["requires_product"].map(pid).to_numpy(dtype=np.intp)
    tech_material = tech["displaced_material"].map(mid).to_numpy(dtype=np.intp)
    eligible = (
        (sectors[:, None] == tech["sink_sector"].to_numpy()[None, :])
        & (capacity[:, tech_requires] > 0)
        & (capacity[:, tech_cap_product] > 0)
    )
    full_cap = np.where(eligible, capacity[:, tech_cap_product] * tech["cap_t_per_t"].to_numpy(dtype=float), 0.0)
    tid = _index(technologies)
    group_names = [g if g else f"__{t}" for g, t in zip(tech["cap_group"], tech["technology"], strict=True)]
    groups = list(dict.fromkeys(group_names))
    tech_group = np.array([groups.index(g) for g in group_names], dtype=np.intp)
    caps_k = tech["cap_t_per_t"].to_numpy(dtype=float)
    group_cap = np.array([caps_k[tech_group == g].max() for g in range(len(groups))])
    group_product = np.array([tech_cap_product[tech_group == g][0] for g in range(len(groups))], dtype=np.intp)
    facility_group_cap = np.tile(group_cap, (n, 1))
    for i, row in _own_rows(scenario, "facility_technologies", fid):  # a buyer's demand stated in tonnes
        k = tid[row.technology]
        nameplate = capacity[i, tech_cap_product[k]]  # checked > 0 on load
        eligible[i, k] = row.cap_t_per_yr > 0 and sectors[i] == tech.at[k, "sink_sector"] and capacity[i, tech_requires[k]] > 0
        full_cap[i, k] = row.cap_t_per_yr if eligible[i, k] else 0.0
        if not tech.at[k, "cap_group"] and nameplate > 0:  # its own group: the stated cap is the group's too
            facility_group_cap[i, tech_group[k]] = full_cap[i, k] / nameplate

    material_factors = {
        "price_cny": mat["price_cny_per_unit"].to_numpy(dtype=float),
        "energy_kgce": mat["energy_kgce_per_unit"].to_numpy(dtype=float),
        "co2_kg": mat["co2_kg_per_unit"].to_numpy(dtype=float),
        **{f"{p}_kg": mat[f"{p}_kg_per_unit"].to_numpy(dtype=float) for p in POLLUTANTS},
    }
    tech_displaced = tech["displaced_per_t"].to_numpy(dtype=float)
    mean_generation = np.einsum("np,npb->nb", capacity * util / MONTHS_PER_YEAR, gen)
    blocks = int(params["outlet_demand_blocks"])
    outlets = Outlets.build(scenario.table("outlets"), byproducts, byp, fac, season_of_sector, blocks,
                            params["freight_tariff_factor"], mean_generation)  # fmt: skip
    return CatalogArrays(
        facilities=fac,
        facility_ids=list(fac["facility_id"]),
        products=products,
        byproducts=byproducts,
        technologies=technologies,
        materials=materials,
        capacity_per_yr=capacity,
        utilisation=util,
        own_rate=own_rate,
        season=season,
        must_run=must_run,
        expected_season=season.copy(),
        product_factors=factors,
        generation_t_per_unit=gen,
        byproduct=byp,
        technology=tech,
        tech_byproduct=tech_byproduct,
        tech_cap_product=tech_cap_product,
        tech_material=tech_material,
        tech_is_symbiosis=np.array([value is not False for value in tech["is_symbiosis"]], dtype=bool),
        tech_nameplate_base=(tech["initial_base"] == "nameplate").to_numpy(dtype=bool)
        if "initial_base" in tech.columns
        else np.zeros(len(tech), dtype=bool),
        tech_group=tech_group,
        group_cap_t_per_t=group_cap,
        facility_group_cap=facility_group_cap,
        group_cap_product=group_product,
        material_factors=material_factors,
        eligible=eligible,
        full_cap_tpa=full_cap,
        main_product=np.argmax(capacity, axis=1).astype(np.intp) if n_p else np.zeros(n, dtype=np.intp),
        supply_elasticity=_sector_values(scenario.table("sectors"), "supply_elasticity", sectors),
        mean_generation_t=mean_generation,
        disposal=DisposalRoutes.of(byp, scenario.tables.get("treatments"), in_tonnes(byp)),
        byproduct_units=byproduct_units(byp),
        in_tonnes=in_tonnes(byp),
        landfill_fee_cny_per_t=byp["landfill_fee_cny_per_t"].to_numpy(dtype=float),
        ep_tax_cny_per_t=byp["ep_tax_cny_per_t"].to_numpy(dtype=float),
        storage_cost_cny_per_t_month=byp["storage_cost_cny_per_t_month"].to_numpy(dtype=float),
        storage_months=byp["storage_months"].to_numpy(dtype=float),
        supply_cost_cny_per_t=byp["supply_cost_cny_per_t"].to_numpy(dtype=float),
        bau_landfill_share=optional_floats(byp, "bau_landfill_share", 1.0),
        contract_months=byp["contract_months"].to_numpy(dtype=np.int64),
        link_setup_cny=optional_floats(byp, "link_setup_cny", 0.0),
        link_setup_cny_per_km=optional_floats(byp, "link_setup_cny_per_km", 0.0),
        link_setup_seller_share=optional_floats(byp, "link_setup_seller_share", np.nan),
        tech_capex_cny_per_tpa=tech["capex_cny_per_tpa"].to_numpy(dtype=float),
        tech_lifetime_yr=tech["lifetime_yr"].to_numpy(dtype=int),
        tech_learning_rate=optional_floats(tech, "learning_rate", 0.0),
        tech_opex_cny_per_t=tech["opex_cny_per_t"].to_numpy(dtype=float),
        tech_displaced_per_t=tech_displaced,
        tech_cap_t_per_t=tech["cap_t_per_t"].to_numpy(dtype=float),
        tech_avoided_cny_per_t=tech_displaced * material_factors["price_cny"][tech_material],
        own_behaviour=behaviour_values(scenario.tables.get("behaviour"), list(fac["facility_id"]), sectors),
        byproduct_behaviour=byproduct_behaviour_values(scenario.tables.get("behaviour"), byproducts),
        outlets=outlets,
        transport_modes=scenario.table("transport_modes"),
    )
