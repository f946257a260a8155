"""Property-based tests: random valid regions keep every invariant, random broken files give ScenarioError.

* Random regions of 1-200 facilities (a synthetic JJJ-like region, then a random subset,
  random sectors, random coordinates in the JJJ box, capacities scaled 0-3x or zero, random
  emission grades), loaded from CSV files like any scenario, run 24 months under random
  policies; every month the mass, trade and money balances, the haul limits and the
  technology caps hold and nothing is NaN or infinite.
* Random corruptions of one CSV file of the tiny park end in a :class:`ScenarioError` naming
  that file, never in another exception, and write nothing; ``symbiosim run`` exits with code
  2 and creates no output folder. A truncated file, or a quote inside a cell, may still be a
  valid (shorter) table: it then loads, or fails on the files that refer to its rows, and a
  scenario that loads must run.
* Edge cases: one facility, no sinks, every facility at one point, every capacity zero, and
  a 50-year horizon.
"""

import csv
import datetime as dt
import io
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symbiosim import ScenarioError, SymbiosisModel, default_scenario, load_scenario
from symbiosim.environment.synthetic import synthetic_scenario
from symbiosim.environment.validation import schema
from symbiosim.policies import (
    AirPollutantTax,
    CapacityReplacement,
    CapexSubsidy,
    CarbonPrice,
    EnvironmentalTax,
    FacilitationPlatform,
    LandfillFee,
    PerTonneSubsidy,
    ProductionLimit,
    Scope,
    TransportSubsidy,
    VATRebate,
)

TINY = Path(__file__).parent / "data" / "tiny"
ROOT = Path(__file__).resolve().parents[1]
MONTHS = 24
RELATIVE = 1e-9
TONNE_SLACK = 1e-6  # absolute slack (t) for sums of many routes
MONEY_SLACK = 1e-3  # absolute slack (CNY) for sums of many facilities
GRADES = ("A", "B", "C", "D")
RUN_START = dt.date(2025, 1, 1)
FUZZ_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


# --- invariants, checked after every step ---------------------------------------------------
class MonthChecker:
    """Checks the invariants of a model after each step; remembers what a month hands to the next."""

    def __init__(self, model: SymbiosisModel) -> None:
        self.model = model
        self.stock_before = model.state.stock.copy()
        self.installed_before = model.state.installed_tpa.copy()
        mk = model.market
        limits = np.nan_to_num(model.catalog.byproduct["max_haul_km"].to_numpy(dtype=float), nan=np.inf)  # blank: none
        assert np.all(np.isfinite(mk.routes.distance_km))
        assert np.all(mk.routes.distance_km >= 0)
        assert np.all(mk.routes.distance_km <= limits[mk.routes.byproduct] + 1e-9), "a route is longer than its haul limit"
        assert np.all(mk.routes.seller != mk.routes.buyer)

    def __call__(self) -> None:
        model = self.model
        self._tonnes()
        self._routes()
        self._money()
        self._finite()
        self.stock_before = model.state.stock.copy()
        self.installed_before = model.state.installed_tpa.copy()

    def _tonnes(self) -> None:
        model, led = self.model, self.model.accounts.ledger
        for name in ("generated_t", "drawn_from_stock_t", "sold_t", "outlet_t", "bought_t", "added_to_stock_t", "disposed_t"):
            assert np.all(led[name] >= 0), f"negative {name}"
        assert np.all(model.state.stock >= 0)
        assert np.allclose(led["drawn_from_stock_t"], self.stock_before), "stock drawn is not last month's stock"
        inflow = led["generated_t"] + led["drawn_from_stock_t"]
        outflow = led["sold_t"] + led["outlet_t"] + led["added_to_stock_t"] + led["disposed_t"]
        assert np.all(np.abs(inflow - outflow) <= RELATIVE * np.maximum(inflow, 1.0)), "mass balance"
        assert np.allclose(led["added_to_stock_t"], model.state.stock)
        assert np.all(model.state.stock <= model.state.storage_limit_t * (1 + RELATIVE) + TONNE_SLACK)
        landfilled = model.catalog.is_landfilled
        assert np.allclose(led["landfilled_t"][:, landfilled], led["disposed_t"][:, landfilled])
        assert np.all(led["landfilled_t"][:, ~landfilled] == 0)
        sold, bought = led["sold_t"].sum(axis=0), led["bought_t"].sum(axis=0)
        assert np.all(np.abs(sold - bought) <= RELATIVE * np.maximum(sold, 1.0)), "sold != bought"
        capacity_month = model.state.capacity_per_yr / 12
        assert np.all(model.state.output >= 0)
        assert np.all(model.state.output <= capacity_month * model.levers.limit_factor[:, None] * (1 + RELATIVE) + 1e-9)

    def _routes(self) -> None:
        model, mk = self.model, self.model.market
        tonnes = model.accounts.tonnes
        assert np.all(tonnes >= 0)
        traded = tonnes > 0
        assert mk.book.known[mk.routes.link[traded]].all(), "trade between partners who do not know each other"
        n, n_k = model.n_facilities, len(model.catalog.technologies)
        used = np.bincount(mk.routes.buyer * n_k + mk.routes.technology, weights=tonnes, minlength=n * n_k).reshape(n, n_k)
        by_output = model.catalog.tech_cap_t_per_t[None, :] * model.state.output[:, model.catalog.tech_cap_product]
        assert np.all(used <= by_output * (1 + RELATIVE) + TONNE_SLACK), "above a technology's cap on output"
        # installed capacity only falls (retirement) before the market clears, and grows after it (investment)
        installed_t = np.where(self.installed_before > 0, self.installed_before / 12, 0.0)
        assert np.all(used <= installed_t * (1 + RELATIVE) + TONNE_SLACK), "above installed capacity"
        groups = model.catalog.tech_group
        for g in np.unique(groups):
            group_cap = model.catalog.group_cap_t_per_t[g] * model.state.output[:, model.catalog.group_cap_product[g]]
            assert np.all(used[:, groups == g].sum(axis=1) <= group_cap * (1 + RELATIVE) + TONNE_SLACK), "group cap"
        flows = model.latest_flows
        if len(flows):
            assert (flows["seller_gain_cny_per_t"] >= -1e-6).all(), "a seller lost on a trade"
            assert (flows["buyer_gain_cny_per_t"] >= -1e-6).all(), "a buyer lost on a trade"

    def _money(self) -> None:
        model, money = self.model, self.model.accounts.money
        sales, purchases = money["byproduct_sales_cny"].sum(), money["byproduct_purchases_cny"].sum()
        from_outlets = model.accounts.outlets.value_cny.sum()  # paid by the rest of the economy
        assert sales == pytest.approx(purchases, rel=RELATIVE, abs=MONEY_SLACK)
        assert money["outlet_sales_cny"].sum() == pytest.approx(from_outlets, rel=RELATIVE, abs=MONEY_SLACK)
        # a city without a landfill pays its gate fees to disposal outside the scenario
        outside = money["landfill_fee_cny"][~model.landfills.has_landfill].sum()
        assert model.accounts.summary["landfill_fees_outside_cny"] == pytest.approx(outside, rel=RELATIVE, abs=MONEY_SLACK)
        inside = money["landfill_fee_cny"].sum() - outside
        assert money["landfill_revenue_cny"].sum() == pytest.approx(inside, rel=RELATIVE, abs=MONEY_SLACK)
        internal = ("byproduct_sales_cny", "byproduct_purchases_cny", "landfill_fee_cny", "landfill_revenue_cny",
                    "outlet_sales_cny")  # fmt: skip
        income = ("product_revenue_cny", "avoided_material_cny", "subsidy_cny", "vat_rebate_cny")
        costs = [k for k in money if k not in (*internal, *income, "profit_cny")]
        external = sum(money[k].sum() for k in income) + from_outlets - sum(money[k].sum() for k in costs) - outside
        scale = sum(np.abs(money[k]).sum() for k in money if k != "profit_cny")
        assert abs(money["profit_cny"].sum() - external) <= RELATIVE * scale + MONEY_SLACK, "money balance"
        # the same identity seen from the government: taxes and charges in, subsidies and rebates out
        government_net = (
            money["ep_tax_cny"].sum()
            + money["emission_charges_cny"].sum()
            - money["subsidy_cny"].sum()
            - money["vat_rebate_cny"].sum()
        )
        private = ("product_revenue_cny", "avoided_material_cny")
        private_costs = [k for k in costs if k not in ("ep_tax_cny", "emission_charges_cny")]
        market_value = (
            sum(money[k].sum() for k in private) + from_outlets - sum(money[k].sum() for k in private_costs) - outside
        )
        assert abs(money["profit_cny"].sum() + government_net - market_value) <= RELATIVE * scale + MONEY_SLACK
        fiscal = model.accounts.summary["fiscal_cost_cny"] - model.accounts.summary["subsidy_cny"] + money["subsidy_cny"].sum()
        assert -fiscal == pytest.approx(government_net, rel=RELATIVE, abs=MONEY_SLACK)

    def _finite(self) -> None:
        model = self.model
        for name, values in (*model.accounts.ledger.items(), *model.accounts.money.items()):
            assert np.all(np.isfinite(values)), f"{name} is not finite"
        for name, value in model.accounts.summary.items():
            if name.startswith("utilisation_rate."):  # NaN by definition when nothing was generated
                byproduct = name.split(".", 1)[1]
                assert math.isfinite(value) or model.accounts.summary[f"generated_t.{byproduct}"] == 0, name
            else:
                assert math.isfinite(value), f"series {name} is {value}"
        flows = model.latest_flows
        numeric = flows.select_dtypes(include="number")
        assert np.all(np.isfinite(numeric.to_numpy(dtype=float))), "a flow record is not finite"


def run_checked(model: SymbiosisModel, months: int) -> None:
    check = MonthChecker(model)
    for _ in range(months):
        model.step()
        check()
    ledger = model.facility_ledger.select_dtypes(include="number")
    assert np.all(np.isfinite(ledger.to_numpy(dtype=float))), "facility ledger is not finite"
    series = model.datacollector.get_model_vars_dataframe()
    # rates and outlet prices are NaN where nothing was generated or traded
    rates = [c for c in series.columns if c.startswith(("utilisation_rate.", "outlet_price_cny_per_t."))]
    assert np.all(np.isfinite(series.drop(columns=rates).to_numpy(dtype=float))), "monthly series is not finite"
    assert len(series) == model.month_index + 1


# --- random regions -----------------------------------------------------------------------
_BASE: list = []


def jjj():
    """The bundled scenario, loaded once for the whole module (hypothesis cannot use fixtures)."""
    if not _BASE:
        _BASE.append(default_scenario())
    return _BASE[0]


def region_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Facilities, capacities and emission grades of a random region of 1-200 facilities."""
    base = jjj()
    n = draw(st.integers(4, 200), label="synthetic facilities")
    region = synthetic_scenario(n, draw(st.integers(0, 10_000), label="synthetic seed"), base=base)
    gen = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="numpy seed"))
    facilities = region.table("facilities").reset_index(drop=True)
    capacities = region.table("capacities").reset_index(drop=True)

    keep = gen.random(n) < draw(st.sampled_from([1.0, 0.7, 0.3, 0.05]), label="share kept")
    if not keep.any():
        keep[gen.integers(n)] = True
    facilities = facilities[keep].reset_index(drop=True)

    # random sectors: a facility takes the sector, route and capacities of a random base facility
    base_fac, base_caps = base.table("facilities"), base.table("capacities")
    moved = gen.random(len(facilities)) < draw(st.sampled_from([0.0, 0.2, 1.0]), label="share re-sectored")
    templates = base_fac.iloc[gen.integers(len(base_fac), size=int(moved.sum()))]
    facilities.loc[moved, "sector"] = templates["sector"].to_numpy()
    facilities.loc[moved, "route"] = templates["route"].to_numpy()
    template_of = dict(zip(facilities.loc[moved, "facility_id"], templates["facility_id"], strict=True))
    capacities = capacities[capacities["facility_id"].isin(set(facilities["facility_id"]) - set(template_of))]
    copied = base_caps[base_caps["facility_id"].isin(set(template_of.values()))]
    for facility_id, template in template_of.items():
        rows = copied[copied["facility_id"] == template].assign(facility_id=facility_id)
        capacities = pd.concat([capacities, rows], ignore_index=True)
    if capacities.empty:  # only landfills left: a scenario needs capacities, so keep one producer
        producer = region.table("facilities").iloc[0]["facility_id"]
        facilities = pd.concat(
            [facilities, region.table("facilities").iloc[[0]].assign(facility_id="fuzz_producer")], ignore_index=True
        )
        capacities = region.table("capacities")
        capacities = capacities[capacities["facility_id"] == producer].assign(facility_id="fuzz_producer")

    # random coordinates within the JJJ box (all, some, or none)
    lat, lon = base_fac["latitude"].astype(float), base_fac["longitude"].astype(float)
    relocated = gen.random(len(facilities)) < draw(st.sampled_from([0.0, 0.5, 1.0]), label="share relocated")
    facilities.loc[relocated, "latitude"] = gen.uniform(lat.min(), lat.max(), relocated.sum())
    facilities.loc[relocated, "longitude"] = gen.uniform(lon.min(), lon.max(), relocated.sum())

    # capacities scaled 0-3x, some (or all) zero
    scale = gen.uniform(0.0, 3.0, len(capacities))
    scale[gen.random(len(capacities)) < draw(st.sampled_from([0.0, 0.2, 1.0]), label="share zero")] = 0.0
    capacities = capacities.assign(capacity_per_yr=capacities["capacity_per_yr"].astype(float) * scale)

    graded = gen.random(len(facilities)) < draw(st.sampled_from([0.0, 0.5]), label="share graded")
    grades = pd.DataFrame(
        {
            "facility_id": facilities.loc[graded, "facility_id"],
            "emission_grade": gen.choice(GRADES, size=int(graded.sum())),
            "since_year": 2020,
            "source": "fuzz",
        }
    )
    return facilities, capacities.reset_index(drop=True), grades


def write_region(folder: Path, facilities: pd.DataFrame, capacities: pd.DataFrame, grades: pd.DataFrame) -> Path:
    """A scenario file extending the default with these facilities, capacities and grades (replace mode)."""
    lines = ['[scenario]\nname = "fuzz"\nstart = "2025-01"\nyears = 2\nextends = "default"\n']
    for name, frame in (("facilities", facilities), ("capacities", capacities), ("emission_grades", grades)):
        frame.to_csv(folder / f"{name}.csv", index=False)
        lines.append(f'[tables.{name}]\nfile = "{name}.csv"\nmode = "replace"\n')
    toml = folder / "scenario.toml"
    toml.write_text("\n".join(lines), encoding="utf-8")
    return toml


def _some(draw: st.DrawFn, names: list[str], label: str, max_size: int = 3) -> tuple[str, ...]:
    if not names:
        return ()
    return tuple(draw(st.lists(st.sampled_from(sorted(names)), max_size=max_size, unique=True), label=label))


def _scope(draw: st.DrawFn, facilities: pd.DataFrame) -> Scope:
    return Scope(
        provinces=_some(draw, list(set(facilities["province"])), "provinces", 1),
        cities=_some(draw, list(set(facilities["city"])), "cities"),
        sectors=_some(draw, list(set(facilities["sector"])), "sectors"),
        facility_ids=_some(draw, list(facilities["facility_id"]), "facility ids", 5),
    )


def _window(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = RUN_START + dt.timedelta(days=draw(st.integers(-90, 800), label="policy start"))
    return start, start + dt.timedelta(days=draw(st.integers(0, 500), label="policy length"))


def a_policy(draw: st.DrawFn, facilities: pd.DataFrame, *, has_grades: bool) -> object:
    """One random policy object whose names exist in the region and the default catalog.

    A graded limit needs graded facilities (see ``test_a_graded_limit_without_any_grade_runs``).
    """
    base = jjj()
    byproducts = list(base.table("byproducts")["byproduct"])
    technologies = list(base.table("technologies")["technology"])
    products = list(base.table("products")["product"])
    ids = list(facilities["facility_id"])
    start, end = _window(draw)
    money = st.floats(0.0, 500.0)
    kind = draw(
        st.sampled_from(
            [
                "limit",
                "landfill",
                "ep_tax",
                "subsidy",
                "capex",
                "transport",
                "carbon",
                "air",
                "vat",
                "platform",
                "replacement",
            ]
        ),
        label="policy type",
    )
    if kind == "limit":
        return ProductionLimit(
            start,
            end,
            cap_share=draw(st.floats(0.0, 1.0)),
            scope=_scope(draw, facilities),
            mode=draw(
                st.sampled_from(
                    ["uniform", "graded", "symbiosis_aware"] if has_grades else ["uniform", "symbiosis_aware"]
                )
            ),
            grade_caps=draw(st.dictionaries(st.sampled_from(GRADES), st.floats(0.0, 1.0))),
            exempt_facility_ids=_some(draw, ids, "exempt"),
            exempt_top_k=draw(st.integers(0, 10)),
        )
    if kind in ("landfill", "ep_tax"):
        kind_class = LandfillFee if kind == "landfill" else EnvironmentalTax
        return kind_class(
            start,
            end,
            cny_per_t=draw(money),
            byproducts=_some(draw, byproducts, "by-products"),
            scope=_scope(draw, facilities),
            mode=draw(st.sampled_from(["add", "set"])),
        )
    if kind == "subsidy":
        return PerTonneSubsidy(
            start,
            end,
            cny_per_t=draw(money),
            technologies=_some(draw, technologies, "technologies"),
            byproducts=_some(draw, byproducts, "by-products"),
            scope=_scope(draw, facilities),
        )
    if kind == "capex":
        return CapexSubsidy(
            start,
            end,
            share=draw(st.floats(0.0, 1.0)),
            technologies=_some(draw, technologies, "technologies"),
            scope=_scope(draw, facilities),
        )
    if kind == "transport":
        return TransportSubsidy(
            start, end, cny_per_t_km=draw(st.floats(0.0, 3.0)), byproducts=_some(draw, byproducts, "by-products")
        )
    if kind == "carbon":
        return CarbonPrice(
            start,
            end,
            cny_per_t_co2=draw(st.floats(0.0, 300.0)),
            scope=_scope(draw, facilities),
            free_allocation=draw(st.dictionaries(st.sampled_from(products), st.floats(0.0, 2.0), max_size=3)),
        )
    if kind == "air":
        return AirPollutantTax(
            start,
            end,
            cny_per_equivalent=draw(st.floats(0.0, 12.0)),
            scope=_scope(draw, facilities),
            pollutants=_some(draw, ["so2", "nox", "pm"], "pollutants"),
        )
    if kind == "vat":
        return VATRebate(
            start,
            end,
            rebate_share=draw(st.floats(0.0, 1.0)),
            vat_rate=draw(st.floats(0.0, 0.2)),
            threshold=draw(st.floats(0.0, 1.0)),
            scope=draw(st.sampled_from([Scope(sectors=("cement",)), _scope(draw, facilities)])),
        )
    if kind == "platform":
        return FacilitationPlatform(start, end)
    return CapacityReplacement(
        start,
        end=None,
        scope=_scope(draw, facilities),
        below_capacity=draw(st.sampled_from([math.inf, 1e5, 1e6, 5e6])),
        replaced_by=_some(draw, ids, "replaced by"),
        replacement_ratio=draw(st.floats(1.0, 3.0)),
    )


@st.composite
def regions_with_policies(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list, int]:
    facilities, capacities, grades = region_tables(draw)
    count = draw(st.integers(0, 4), label="policies")
    policies = [a_policy(draw, facilities, has_grades=not grades.empty) for _ in range(count)]
    return facilities, capacities, grades, policies, draw(st.integers(0, 2**16), label="model seed")


@pytest.mark.slow
@settings(max_examples=30, **FUZZ_SETTINGS)
@given(regions_with_policies())
def test_random_regions_keep_every_invariant_every_month(case):
    facilities, capacities, grades, policies, seed = case
    with tempfile.TemporaryDirectory() as folder:
        toml = write_region(Path(folder), facilities, capacities, grades)
        scenario = load_scenario(toml)
    assert len(scenario.table("facilities")) == len(facilities)
    model = SymbiosisModel(scenario, rng=seed, policies=policies)
    run_checked(model, MONTHS)


# --- random corruptions of valid files ----------------------------------------------------
TINY_TABLES = {path.stem: path.name for path in TINY.glob("*.csv")}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _columns(table: str, *, test) -> list[str]:
    """Columns of a table's schema that pass ``test(column spec)``."""
    return [name for name, spec in schema()[table]["columns"].items() if test(spec)]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _set_cell(rows: list[list[str]], draw: st.DrawFn, columns: list[str], value: str) -> list[list[str]] | None:
    """Rows with one data cell, in one of ``columns`` present in the header, set to ``value``."""
    present = [c for c in columns if c in rows[0]]
    if not present or len(rows) < 2:
        return None
    column = rows[0].index(draw(st.sampled_from(present), label="column"))
    line = draw(st.integers(1, len(rows) - 1), label="row")
    rows[line] = [*rows[line], *[""] * (len(rows[0]) - len(rows[line]))]
    rows[line][column] = value
    return rows


CORRUPTIONS = (
    "delete_column",
    "wrong_type",
    "not_finite",
    "negative",
    "duplicate_key",
    "unknown_reference",
    "truncate",
    "utf16",
    "latin1",
    "empty",
    "stray_quote",
)


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, str, bytes, bool]:
    """(corruption, CSV file name, new file content, whether the result must be invalid)."""
    kind = draw(st.sampled_from(CORRUPTIONS), label="corruption")
    table = draw(st.sampled_from(sorted(TINY_TABLES)), label="table")
    name = TINY_TABLES[table]
    text = (TINY / name).read_text(encoding="utf-8")
    rows = _rows(text)
    numeric = _columns(table, test=lambda spec: spec["type"] in ("float", "int"))
    new: list[list[str]] | None
    if kind == "delete_column":
        required = [c for c in _columns(table, test=lambda spec: spec.get("required", True)) if c in rows[0]]
        position = rows[0].index(draw(st.sampled_from(required), label="column"))
        new = [row[:position] + row[position + 1 :] for row in rows]
    elif kind == "wrong_type":
        junk = draw(
            st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(
                lambda t: not _is_number(t.strip())
            ),
            label="junk",
        )
        new = _set_cell(rows, draw, numeric, junk)
    elif kind == "not_finite":
        word = draw(st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "+nan", "-Infinity"]), label="word")
        new = _set_cell(rows, draw, numeric, word)
    elif kind == "negative":
        bounded = _columns(table, test=lambda spec: spec.get("min", -1) >= 0)
        bounded += ["value"] if table == "parameters" else []  # every model parameter has a minimum >= 0
        number = draw(st.floats(-1e12, -1e-6), label="negative")
        integer = draw(st.integers(-(10**9), -1), label="negative whole")
        column_types = {c: schema()[table]["columns"][c]["type"] for c in bounded}
        column = draw(st.sampled_from(bounded), label="column") if bounded else None
        value = str(integer) if column and column_types[column] == "int" else repr(number)
        new = _set_cell(rows, draw, [column] if column else [], value)
    elif kind == "duplicate_key":
        if len(rows) < 2:
            new = None
        else:
            line = draw(st.integers(1, len(rows) - 1), label="row")
            new = (
                [*rows, rows[line]] if draw(st.booleans(), label="at end") else [*rows[:line], rows[line], *rows[line:]]
            )
    elif kind == "unknown_reference":
        referring = _columns(table, test=lambda spec: "references" in spec)
        unknown = "unknown_" + draw(st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True), label="name")
        new = _set_cell(rows, draw, referring, unknown)
    else:
        new = rows
    assume(new is not None)
    content = _csv_text(new).encode("utf-8")
    must_fail = True
    if kind == "truncate":
        raw = text.encode("utf-8")
        content = raw[: draw(st.integers(0, len(raw) - 1), label="bytes kept")]
        must_fail = len(content.strip()) == 0  # a truncated file may still be a valid (shorter) table
    elif kind == "utf16":
        content = text.encode("utf-16")
    elif kind == "latin1":
        free = draw(st.sampled_from(["é", "ü", "°", "±", "ß"]), label="letter")
        content = (text.replace("test", f"t{free}st", 1) if "test" in text else text + f"# {free}\n").encode("latin-1")
    elif kind == "empty":
        content = draw(st.sampled_from([b"", b"\n", b"\r\n\r\n", b" , ,\n"]), label="empty content")
    elif kind == "stray_quote":
        raw = text.encode("utf-8")
        at = draw(st.integers(0, len(raw)), label="quote position")
        content = raw[:at] + b'"' + raw[at:]
        # a quote opening a field runs to the end of the file; one inside a field is literal text
        must_fail = (at == 0 or raw[at - 1 : at] in (b",", b"\n")) and b'"' not in raw
    return kind, name, content, must_fail


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def corrupted_park(folder: Path, name: str, content: bytes) -> Path:
    park = folder / "park"
    shutil.copytree(TINY, park)
    (park / name).write_bytes(content)
    return park / "outlet.toml"  # the park and its outlet: every file of the folder is read


@pytest.mark.slow
@settings(max_examples=200, **FUZZ_SETTINGS)
@given(corruptions())
def test_corrupted_files_give_scenario_error_naming_the_file(case):
    kind, name, content, must_fail = case
    with tempfile.TemporaryDirectory() as folder:
        toml = corrupted_park(Path(folder), name, content)
        before = _snapshot(Path(folder))
        scenario, issues = None, None
        try:
            scenario = load_scenario(toml)
        except ScenarioError as err:
            issues = err.issues
        if issues is not None:
            assert issues, "a ScenarioError must list its issues"
            named = {Path(issue.file).name for issue in issues}
            # a shorter, still well-formed file may instead break the files that refer to its rows
            tomls = {"scenario.toml", "outlet.toml"}
            expected = {name, *tomls} if must_fail else {*TINY_TABLES.values(), *tomls}
            assert named & expected, (kind, [str(i) for i in issues])
        else:
            assert not must_fail, f"{kind} of {name} loaded without error"
            model = SymbiosisModel(scenario, rng=1)  # a still-valid file must also run
            run_checked(model, 2)
        assert _snapshot(Path(folder)) == before, "loading wrote or changed files"


@pytest.mark.slow
@settings(max_examples=3, **FUZZ_SETTINGS)
@given(corruptions().filter(lambda case: case[3]))
def test_corrupted_files_make_the_cli_exit_2_without_output(case):
    _kind, name, content, _must_fail = case
    with tempfile.TemporaryDirectory() as folder:
        toml = corrupted_park(Path(folder), name, content)
        out = Path(folder) / "out"
        before = _snapshot(Path(folder))
        result = subprocess.run(
            [sys.executable, "-m", "symbiosim.runs.cli", "run", "--scenario", str(toml), "--out", str(out), "--quiet"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()
        assert _snapshot(Path(folder)) == before


# --- edge cases -----------------------------------------------------------------------------
def _region_scenario(facilities: pd.DataFrame, capacities: pd.DataFrame, folder: Path):
    grades = pd.DataFrame(columns=["facility_id", "emission_grade", "since_year", "source"])
    toml = write_region(folder, facilities, capacities, grades)
    return load_scenario(toml)


@pytest.fixture(scope="module")
def region60():
    region = synthetic_scenario(60, 4, base=jjj())
    return region.table("facilities").reset_index(drop=True), region.table("capacities").reset_index(drop=True)


def test_a_single_facility_runs_with_every_invariant(tmp_path):
    park = tmp_path / "park"
    shutil.copytree(TINY, park)
    toml = park / "scenario.toml"
    others = '["cement_near", "cement_far", "cement_out", "landfill_alpha"]'
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[remove]\nfacilities = {others}\n", encoding="utf-8")
    model = SymbiosisModel(toml, rng=3)
    assert model.n_facilities == 1
    assert model.market.n_routes == 0
    run_checked(model, MONTHS)
    assert model.accounts.summary["exchanged_t"] == 0
    assert model.accounts.summary["landfill_fees_outside_cny"] > 0  # no landfill left in the city


@pytest.mark.parametrize("sector", sorted(default_scenario().table("sectors")["sector"]))
def test_a_single_facility_of_each_sector_runs(sector, region60, tmp_path):
    facilities, capacities = region60
    facilities = facilities[facilities["sector"] == sector].head(1)
    capacities = capacities[capacities["facility_id"].isin(facilities["facility_id"])]
    if capacities.empty:  # a landfill makes no product: a scenario of landfills only has no capacities
        with pytest.raises(ScenarioError) as err:
            _region_scenario(facilities, capacities, tmp_path)
        assert [issue.column for issue in err.value.issues] == ["tables.capacities"]
        return
    model = SymbiosisModel(_region_scenario(facilities, capacities, tmp_path), rng=1)
    assert model.n_facilities == 1
    run_checked(model, 13)


def test_a_region_without_sinks_landfills_everything(region60, tmp_path):
    sinks = set(jjj().table("technologies")["sink_sector"])
    facilities, capacities = region60
    facilities = facilities[~facilities["sector"].isin(sinks)]
    capacities = capacities[capacities["facility_id"].isin(facilities["facility_id"])]
    model = SymbiosisModel(_region_scenario(facilities, capacities, tmp_path), rng=2)
    assert model.market.n_routes == 0
    assert not model.catalog.eligible.any()
    run_checked(model, MONTHS)
    led = model.accounts.ledger
    assert led["sold_t"].sum() == 0
    assert np.allclose(led["disposed_t"], led["generated_t"])
    assert led["generated_t"].sum() > 0


def test_every_facility_at_one_point(region60, tmp_path):
    facilities, capacities = region60
    facilities = facilities.assign(latitude=39.0, longitude=116.0)
    model = SymbiosisModel(_region_scenario(facilities, capacities, tmp_path), rng=5)
    assert model.market.n_routes > 0
    assert np.all(model.market.routes.distance_km == 0)
    run_checked(model, MONTHS)
    assert model.flows["tonnes"].sum() > 0


def test_every_capacity_zero(region60, tmp_path):
    facilities, capacities = region60
    capacities = capacities.assign(capacity_per_yr=0.0)
    policies = [
        ProductionLimit(
            dt.date(2025, 3, 1), dt.date(2025, 9, 30), cap_share=0.5, mode="symbiosis_aware", exempt_top_k=3
        ),
        VATRebate(dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        CapacityReplacement(dt.date(2025, 6, 1), replaced_by=tuple(facilities["facility_id"][:3])),
    ]
    model = SymbiosisModel(_region_scenario(facilities, capacities, tmp_path), rng=7, policies=policies)
    run_checked(model, MONTHS)
    assert model.state.output.sum() == 0
    assert model.accounts.ledger["generated_t"].sum() == 0
    assert model.flows.empty
    assert model.accounts.summary["profit_cny"] <= 0


def test_a_graded_limit_without_any_grade_runs(region60, tmp_path):
    facilities, capacities = region60
    limit = ProductionLimit(dt.date(2025, 1, 1), dt.date(2025, 12, 31), cap_share=0.5, mode="graded")
    model = SymbiosisModel(_region_scenario(facilities, capacities, tmp_path), rng=1, policies=[limit])
    run_checked(model, 2)
    assert np.all(model.levers.limit_factor == 0.5)  # an ungraded facility gets cap_share


def test_numbers_near_the_float_limit_are_refused_on_load(tmp_path):
    park = tmp_path / "park"
    shutil.copytree(TINY, park)
    capacities = park / "capacities.csv"
    text = capacities.read_text(encoding="utf-8")
    capacities.write_text(
        text.replace("steel_s,crude_steel,1200000,", "steel_s,crude_steel,1.7e308,"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="above the maximum"):
        SymbiosisModel(park / "scenario.toml", rng=1)


@pytest.fixture(scope="module")
def fifty_years(tmp_path_factory):
    """The tiny park without T2 at the start (so plants invest) run 50 years, invariants checked monthly."""
    park = tmp_path_factory.mktemp("fifty") / "park"
    shutil.copytree(TINY, park)
    technologies = park / "technologies.csv"
    text = technologies.read_text(encoding="utf-8")
    technologies.write_text(text.replace(",20,1.0,test,", ",20,0.0,test,"), encoding="utf-8")
    model = SymbiosisModel(park / "scenario.toml", rng=8, years=50)
    check = MonthChecker(model)
    while model.running:
        model.step()
        check()
    return model


@pytest.mark.slow
def test_a_fifty_year_horizon_runs_to_the_end(fifty_years):
    model = fifty_years
    assert model.month_index == 50 * 12
    assert model.date == dt.date(2074, 12, 1)
    run_checked(model, 0)
    series = model.datacollector.get_model_vars_dataframe()
    assert len(series) == 601
    assert len(model.facility_ledger) == 600 * model.n_facilities
    assert len(model.record.adoptions) > 2  # plants invest, and reinvest when lines reach the end of their lifetime


@pytest.mark.slow
def test_lines_reaching_their_lifetime_do_not_end_trade_for_good(fifty_years):
    model = fifty_years
    series = model.datacollector.get_model_vars_dataframe()
    assert series["contract_shortfalls"].sum() == 0  # no policy in force: nothing unforeseen happens
    assert series["exchanged_t"].iloc[-12:].min() > 0
