"""Calibration report: the default JJJ scenario against Cao et al. (2025).

Runs the bundled Beijing–Tianjin–Hebei scenario for several seeds, takes the last 12
simulated months of each run, and prints Markdown tables (mean and min–max across seeds)
next to the published economic optimum of Cao Xin, Wu Mingxuan, Liu Chang, Qian Yuan & Wen Zongguo
(2025), 基于复杂系统优化的京津冀产业共生空间化管理与效益评估 [Spatial management and benefit
evaluation of Beijing-Tianjin-Hebei industrial symbiosis based on complex system optimization],
管理科学学报 (Journal of Management Sciences in China) 28(4): 32–46,
https://doi.org/10.19920/j.cnki.jmsc.2025.04.003:

(a) utilisation rate per waste; (b) tonnes per route (by-product x technology);
(c) tonne-weighted haul distances; (d) Spearman correlation of route profit vs distance;
(e) key cities and Tangshan–Handan flows; (f) energy saved, CO2, SO2/NOx/PM avoided, as the
model books them (its per-route effects in ``model.flows``; plain waste treatment such as MSW
incineration, ``is_symbiosis`` false, counts as exchanged but saves nothing); (g) generation per
waste against Table 2 of Cao et al.

Usage (from the repository root)::

    .venv/bin/python scripts/calibration_report.py [--seeds 1 2 3 4 5] [--out FILE]

It writes nothing but standard output unless ``--out`` is given (then the same Markdown is
also written to FILE atomically).
"""

import argparse
import datetime as dt
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import symbiosim
from symbiosim import SymbiosisModel
from symbiosim.metrics.network import effective_radius_km, profit_distance_spearman, weighted_quantile
from symbiosim.runs.outputs import ALL_SOLID, key_node_table, summary_table, write_atomic

MONTHS = 12
T_PER_KT = 1e3
KG_PER_T = 1e3
EARTH_RADIUS_KM = 6371.0088
DEFAULT_SEEDS = (1, 2, 3, 4, 5)
# the technologies of Cao et al. (2025) (cement-kiln routes); STEAM, T13, T14 and W1 go beyond them
SEED_TECHNOLOGIES = tuple(f"T{i}" for i in range(1, 13))
SEED_WASTES = (
    "steel_slag",
    "bf_slag",
    "boiler_slag",
    "fly_ash",
    "fgd_gypsum",
    "msw",
    "sludge",
    "hazardous_waste",
)
POLLUTANTS = ("so2", "nox", "pm")
KEY_CITIES = ("Tangshan", "Handan")

# --- Cao et al. (2025), Table 2, sections 2.2-2.3 and Fig. 5 ----------------------------
# section 2.2: share of each waste's generation used in the economic optimum
SEED_UTILISATION = {
    "bf_slag": 0.127,
    "steel_slag": 0.069,
    "boiler_slag": 0.783,
    "fly_ash": 0.632,
    "fgd_gypsum": 0.100,
    "msw": 0.586,
    "sludge": 0.598,
    "hazardous_waste": 0.861,
}
# Table 2: generation (10^4 t -> kt)
SEED_GENERATION_KT = {
    "steel_slag": 62029.0,
    "bf_slag": 157457.0,
    "boiler_slag": 9059.0,
    "fly_ash": 21483.0,
    "fgd_gypsum": 4659.0,
    "msw": 16954.0,
    "sludge": 2708.0,
    "hazardous_waste": 4980.0,
}
# Table 2: absorbable amount per technology (10^4 t -> kt)
SEED_ABSORBABLE_KT = {
    "T1": 4274.0,
    "T2": 3593.0,
    "T3": 6411.0,
    "T4": 4510.0,
    "T5": 4891.0,
    "T6": 16179.0,
    "T7": 5794.0,
    "T8": 17984.0,
    "T9": 12765.0,
    "T10": 15720.0,
    "T11": 9825.0,
    "T12": 19650.0,
}
# section 2.2 (Fig. 5): effective symbiosis radius statements
SEED_RADIUS = {
    ("fgd_gypsum", "cement"): "< 50 km",
    ("fly_ash", "clinker"): "< 50 km",
    ("fly_ash", "cement"): "up to ~130 km",
    ("boiler_slag", "cement"): "up to ~130 km",
    ("boiler_slag", "clinker"): "up to ~130 km",
    ("steel_slag", "cement"): "up to ~130 km",
    ("steel_slag", "clinker"): "up to ~130 km",
    ("bf_slag", "cement"): "up to ~130 km",
    ("bf_slag", "clinker"): "up to ~130 km",
    ("sludge", "kiln co-processing"): "cross-region (Beijing–Handan, Beijing–Shijiazhuang)",
    ("hazardous_waste", "kiln co-processing"): "cross-region (Tianjin–Langfang)",
}
# section 2.3: economic optimum
SEED_ENERGY_SAVED_TCE = 5.784e6
SEED_POLLUTANTS_T = {"so2": 22e3, "nox": 67e3, "pm": 33e3}
SEED_SPEARMAN = -0.2192
SEED_PATHS = 1201
# section 2.2: Handan–Tangshan paths' share of each system's tonnes
SEED_TANGSHAN_HANDAN = {"T1": 0.064, "T3": 0.066, "T6": 0.210, "T8": 0.278}
SEED_IMPLIED_KT = sum(SEED_UTILISATION[b] * SEED_GENERATION_KT[b] for b in SEED_WASTES)
SEED_TEXT_TOTAL_KT = 114054.0  # section 2.2: total use in the economic optimum (11,405.4 x 10^4 t)
# China 2018 comprehensive utilisation, all uses (national): fly ash 74.9 % (key firms), ferrous smelting
# slag 91.8 %; MEE 2019, 全国大、中城市固体废物污染环境防治年报 (2018 data)
NATIONAL_2018 = {"fly ash": (("fly_ash",), 0.75), "ferrous smelting slag": (("steel_slag", "bf_slag"), 0.92)}


# --- running and measuring one seed -----------------------------------------------------
def destination_of(technology: pd.DataFrame) -> dict[str, str]:
    """Destination product of each technology: clinker, cement, kiln co-processing, or the sink sector."""
    dest = {}
    for row in technology.itertuples(index=False):
        if row.sink_sector != "cement":
            dest[row.technology] = str(row.sink_sector)
        elif row.cap_product == "clinker":
            dest[row.technology] = "clinker"
        elif row.displaced_material == "coal":
            dest[row.technology] = "kiln co-processing"
        else:
            dest[row.technology] = "cement"
    return dest


def route_ceiling_kt(model: SymbiosisModel) -> pd.Series:
    """Tonnes per year each technology could take if every eligible plant had it (mean output x cap).

    Ignores shared caps (e.g. clinker substitutes) and haul limits; same eligibility rule as the
    model: the plant's sector is the sink sector and it has capacity for the required product
    and for the cap product.
    """
    sc = model.scenario_data
    caps = sc.table("capacities").merge(sc.table("facilities")[["facility_id", "sector"]], on="facility_id")
    util = sc.table("products")[["sector", "product", "utilisation"]]
    caps = caps.merge(util, on=["sector", "product"], how="left")
    caps["output"] = caps["capacity_per_yr"] * caps["utilisation"].fillna(0.0)
    out = caps.pivot_table(index="facility_id", columns="product", values="output", aggfunc="sum").fillna(0.0)
    has = caps.pivot_table(index="facility_id", columns="product", values="capacity_per_yr", aggfunc="sum")
    has = has.fillna(0.0) > 0
    sector = sc.table("facilities").set_index("facility_id")["sector"].reindex(out.index)
    result = {}
    for row in sc.table("technologies").itertuples(index=False):
        if row.cap_product not in out or row.requires_product not in has:
            result[row.technology] = 0.0
            continue
        ok = (sector == row.sink_sector) & has[row.requires_product] & has[row.cap_product]
        result[row.technology] = float(row.cap_t_per_t * out.loc[ok, row.cap_product].sum()) / T_PER_KT
    return pd.Series(result)


def road_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray, circuity: float) -> np.ndarray:
    """Great-circle distance x circuity for every pair (matrix), km."""
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dl = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)) * circuity


def measure(seed: int) -> dict[str, object]:
    """Run the default scenario with ``seed`` and measure its last 12 months."""
    model = SymbiosisModel(rng=seed, collect_agent_data=False)
    model.run()
    series = model.datacollector.get_model_vars_dataframe().reset_index(drop=True).iloc[-MONTHS:]
    flows = model.flows
    flows = flows[(flows["step"] > model.month_index - MONTHS) & (flows["tonnes"] > 0)].copy()
    tech = model.scenario_data.table("technologies")
    dest = destination_of(tech)
    city = model.catalog.facilities.set_index("facility_id")["city"]
    flows["destination"] = flows["technology"].map(dest)
    flows["seller_city"] = flows["seller_id"].map(city)
    flows["buyer_city"] = flows["buyer_id"].map(city)
    flows["profit_cny_per_t"] = flows["seller_gain_cny_per_t"] + flows["buyer_gain_cny_per_t"]
    kiln = flows["technology"].isin(SEED_TECHNOLOGIES)
    byproducts = list(model.catalog.byproducts)

    generated = pd.Series({b: series[f"generated_t.{b}"].sum() for b in byproducts})
    exchanged = pd.Series({b: series[f"exchanged_t.{b}"].sum() for b in byproducts})
    outlet = pd.Series({b: series[f"outlet_t.{b}"].sum() for b in byproducts})
    kiln_t = flows[kiln].groupby("byproduct")["tonnes"].sum().reindex(byproducts, fill_value=0.0)
    # wastes whose unsold part is landfilled (leaves out steam, an extractable potential)
    solid = summary_table(model).loc[ALL_SOLID]
    solid_members = [b for b, landfilled in zip(byproducts, model.catalog.is_solid, strict=True) if landfilled]

    # (b) routes
    by_route = flows.groupby(["byproduct", "technology"])
    route_kt = by_route["tonnes"].sum() / T_PER_KT
    route_links = by_route.apply(lambda g: g[["seller_id", "buyer_id"]].drop_duplicates().shape[0])

    # (c) distances
    distance = {}
    radius = effective_radius_km(flows)
    for b, row in radius.iterrows():
        distance[(b, "all")] = (row["median_km"], row["radius_km"], row["tonnes"] / T_PER_KT)
    for (b, d), group in flows.groupby(["byproduct", "destination"]):
        km, t = group["distance_km"].to_numpy(), group["tonnes"].to_numpy()
        distance[(b, d)] = (weighted_quantile(km, t, 0.5), weighted_quantile(km, t, 0.9), t.sum() / T_PER_KT)

    # (d) profit vs distance over routes active in the year (tonne-weighted mean profit per t)
    flows["profit_cny"] = flows["profit_cny_per_t"] * flows["tonnes"]
    routes = flows.groupby(["seller_id", "buyer_id", "technology"]).agg(
        distance_km=("distance_km", "first"), tonnes=("tonnes", "sum"), profit_cny=("profit_cny", "sum")
    )
    routes["profit_cny_per_t"] = routes["profit_cny"] / routes["tonnes"]
    routes = routes.reset_index()
    rk = routes[routes["technology"].isin(SEED_TECHNOLOGIES)]
    within = [
        profit_distance_spearman(g["distance_km"].to_numpy(), g["profit_cny_per_t"].to_numpy())
        for _, g in rk.groupby("technology")
        if len(g) >= 3 and g["distance_km"].nunique() > 1
    ]
    spearman = {
        "all routes: profit per t": profit_distance_spearman(
            routes["distance_km"].to_numpy(), routes["profit_cny_per_t"].to_numpy()
        ),
        "kiln routes T1–T12: profit per t": profit_distance_spearman(
            rk["distance_km"].to_numpy(), rk["profit_cny_per_t"].to_numpy()
        ),
        "all routes: annual route profit": profit_distance_spearman(
            routes["distance_km"].to_numpy(), routes["profit_cny"].to_numpy()
        ),
        "kiln routes T1–T12: annual route profit": profit_distance_spearman(
            rk["distance_km"].to_numpy(), rk["profit_cny"].to_numpy()
        ),
        "kiln routes, within one technology (median)": float(np.median(within)) if within else math.nan,
    }
    n_routes = {
        "all routes": float(len(routes)),
        "kiln routes T1–T12": float(len(rk)),
    }

    # (e) cities
    def city_shares(frame: pd.DataFrame) -> pd.Series:
        total = frame["tonnes"].sum()
        if total <= 0:
            return pd.Series(dtype=float)
        cities = sorted(set(frame["seller_city"]) | set(frame["buyer_city"]))
        return pd.Series(
            {
                c: frame.loc[(frame["seller_city"] == c) | (frame["buyer_city"] == c), "tonnes"].sum() / total
                for c in cities
            }
        )

    def pair_share(frame: pd.DataFrame, test: Callable[[pd.Series, pd.Series], pd.Series]) -> float:
        total = frame["tonnes"].sum()
        return float(frame.loc[test(frame["seller_city"], frame["buyer_city"]), "tonnes"].sum() / total) if total else 0

    a, b = KEY_CITIES
    tests = {
        "between Tangshan and Handan": lambda s, c: ((s == a) & (c == b)) | ((s == b) & (c == a)),
        "within Tangshan": lambda s, c: (s == a) & (c == a),
        "within Handan": lambda s, c: (s == b) & (c == b),
        "Tangshan or Handan at either end": lambda s, c: s.isin(KEY_CITIES) | c.isin(KEY_CITIES),
        "crossing a city boundary": lambda s, c: s != c,
    }
    key_pairs = {
        (name, scope): pair_share(frame, test)
        for name, test in tests.items()
        for scope, frame in (("all", flows), ("kiln", flows[kiln]))
    }
    th_systems = {
        k: pair_share(flows[flows["technology"] == k], tests["between Tangshan and Handan"])
        for k in SEED_TANGSHAN_HANDAN
        if (flows["technology"] == k).any()
    }

    # (f) effects: the model's own per-route effects (flows), which are zero for plain waste
    # treatment (technologies with is_symbiosis false, e.g. W1 incineration)
    symbiosis = flows["is_symbiosis"].astype(bool)
    effects_all = {
        "energy saved (tce/yr)": float(series["energy_saved_tce"].sum()),
        "CO2 avoided (t/yr)": float(series["co2_avoided_t"].sum()),
    }
    effects_kiln = {
        "energy saved (tce/yr)": float(flows.loc[kiln, "energy_saved_tce"].sum()),
        "CO2 avoided (t/yr)": float(flows.loc[kiln, "co2_avoided_t"].sum()),
    }
    for pol in POLLUTANTS:
        effects_all[f"{pol.upper()} avoided (t/yr)"] = float(flows[f"{pol}_avoided_t"].sum())
        effects_kiln[f"{pol.upper()} avoided (t/yr)"] = float(flows.loc[kiln, f"{pol}_avoided_t"].sum())
    symbiosis_t = float(flows.loc[symbiosis, "tonnes"].sum())
    kiln_used_t = float(flows.loc[kiln, "tonnes"].sum())
    effects_all["energy saved per t used (kgce/t)"] = (
        effects_all["energy saved (tce/yr)"] * KG_PER_T / symbiosis_t if symbiosis_t > 0 else math.nan
    )
    effects_kiln["energy saved per t used (kgce/t)"] = (
        effects_kiln["energy saved (tce/yr)"] * KG_PER_T / kiln_used_t if kiln_used_t > 0 else math.nan
    )
    effects_kiln["tonnes used (kt/yr)"] = kiln_used_t / T_PER_KT
    effects_all["tonnes used (kt/yr)"] = symbiosis_t / T_PER_KT
    not_symbiosis_kt = flows[~symbiosis].groupby("technology")["tonnes"].sum() / T_PER_KT
    energy_by_dest = flows[symbiosis].groupby("destination")["energy_saved_tce"].sum()

    # Tangshan–Handan shortest road distance
    fac = model.catalog.facilities
    ts, hd = fac[fac["city"] == a], fac[fac["city"] == b]
    th_km = float(
        road_km(
            ts["latitude"].to_numpy(float),
            ts["longitude"].to_numpy(float),
            hd["latitude"].to_numpy(float),
            hd["longitude"].to_numpy(float),
            float(model.params["circuity_factor"]),
        ).min()
    )

    return {
        "model": model,
        "generated_kt": generated / T_PER_KT,
        "exchanged_kt": exchanged / T_PER_KT,
        "used_kt": (exchanged + outlet) / T_PER_KT,
        "kiln_kt": kiln_t / T_PER_KT,
        "solid_rate": float(solid["utilisation_rate"]),
        "solid_route_rate": float(exchanged[solid_members].sum() / T_PER_KT / solid["generated_kt"]),
        "solid_kiln_rate": float(kiln_t[solid_members].sum() / T_PER_KT / solid["generated_kt"]),
        "route_kt": route_kt,
        "route_links": route_links.astype(float),
        "destination": dest,
        "ceiling_kt": route_ceiling_kt(model),
        "distance": distance,
        "spearman": spearman,
        "n_routes": n_routes,
        "cities_all": city_shares(flows),
        "cities_kiln": city_shares(flows[kiln]),
        "key_pairs": key_pairs,
        "th_systems": th_systems,
        "effects_all": effects_all,
        "effects_kiln": effects_kiln,
        "energy_by_dest": energy_by_dest,
        "not_symbiosis_kt": not_symbiosis_kt,
        "tangshan_handan_km": th_km,
        "haul_km": model.scenario_data.table("byproducts").set_index("byproduct")["max_haul_km"],
        "key_nodes": key_node_table(model, top=8),
    }


# --- formatting -------------------------------------------------------------------------
def _num(x: float, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def spread(values: Iterable[float], digits: int = 1, scale: float = 1.0) -> str:
    """'mean (min–max)' of the finite values, scaled; '–' when there are none."""
    arr = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float) * scale
    if len(arr) == 0:
        return "–"
    mean, lo, hi = arr.mean(), arr.min(), arr.max()
    if _num(lo, digits) == _num(hi, digits):
        return _num(mean, digits)
    return f"{_num(mean, digits)} ({_num(lo, digits)}–{_num(hi, digits)})"


def pct(values: Iterable[float], digits: int = 1) -> str:
    """Shares as percentages: 'mean (min–max) %'."""
    text = spread(values, digits, 100.0)
    return text if text == "–" else f"{text} %"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str | None = None) -> str:
    """A Markdown table; ``align`` is one character per column: l or r."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def seed_pct(x: float | None) -> str:
    """A share of the paper as a percentage, or a dash when it gives none."""
    return "–" if x is None else f"{100 * x:.1f} %"


# --- the report -------------------------------------------------------------------------
def report(seeds: Sequence[int], command: str) -> str:
    """The whole Markdown report for ``seeds`` (``command``: how it was produced)."""
    start = time.perf_counter()
    runs = [measure(s) for s in seeds]
    elapsed = time.perf_counter() - start
    model = runs[0]["model"]
    byproducts = list(model.catalog.byproducts)
    technologies = list(model.catalog.technologies)
    dest = runs[0]["destination"]
    years = model.horizon_months // MONTHS
    last_year = model.date.year
    out: list[str] = []
    add = out.append

    add("# Calibration report: default JJJ scenario vs Cao et al. (2025)\n")
    add(
        f"Produced by `{command}` on {dt.date.today().isoformat()} (symbiosim {symbiosim.__version__}; "
        f"seeds {', '.join(map(str, seeds))}; {years}-year runs from {model.start:%Y-%m}; "
        f"last 12 months = {last_year}; {elapsed:.0f} s). "
        "Cells give the mean across seeds and, in brackets, the min–max. "
        "'Kiln routes' are the technologies T1–T12 of Cao et al. (2025, Table 2); the model also has STEAM "
        "(steam to chemical plants), T13 (coal-chemical slag to clinker), T14 (BF slag in slag cement beyond the "
        "P.O limit, at the grade discount) and W1 (MSW to incinerators), which the paper does not. "
        "W1 is plain waste treatment (`is_symbiosis` false): its tonnes count as exchanged, but the model "
        "counts none of its energy or emission effects.\n"
    )

    # (a) utilisation
    add("## (a) Utilisation rate by waste (used / generated, last 12 months)\n")
    rows = []
    for b in byproducts:
        gen = [r["generated_kt"][b] for r in runs]
        all_rate = [r["used_kt"][b] / g if g > 0 else math.nan for r, g in zip(runs, gen, strict=True)]
        route_rate = [r["exchanged_kt"][b] / g if g > 0 else math.nan for r, g in zip(runs, gen, strict=True)]
        kiln_rate = [r["kiln_kt"][b] / g if g > 0 else math.nan for r, g in zip(runs, gen, strict=True)]
        techs = [k for k in SEED_TECHNOLOGIES if k in SEED_ABSORBABLE_KT and byproduct_of(model, k) == b]
        ceiling = (
            sum(SEED_ABSORBABLE_KT[k] for k in techs) / SEED_GENERATION_KT[b]
            if techs and b in SEED_GENERATION_KT
            else None
        )
        rows.append(
            [b, pct(all_rate), pct(route_rate), pct(kiln_rate), seed_pct(SEED_UTILISATION.get(b)), seed_pct(ceiling)]
        )
    seed_generation = sum(SEED_GENERATION_KT.values())
    rows.append(
        [
            f"{ALL_SOLID} (`summary_table`)",
            pct([r["solid_rate"] for r in runs]),
            pct([r["solid_route_rate"] for r in runs]),
            pct([r["solid_kiln_rate"] for r in runs]),
            f"{seed_pct(SEED_IMPLIED_KT / seed_generation)} (rates); "
            f"{seed_pct(SEED_TEXT_TOTAL_KT / seed_generation)} (text total)",
            seed_pct(sum(SEED_ABSORBABLE_KT.values()) / seed_generation),
        ]
    )
    add(
        table(
            [
                "waste",
                "model: all uses",
                "model: symbiosis routes",
                "model: kiln routes T1–T12",
                "Cao et al.: economic optimum",
                "Cao et al. Table 2: absorbable / generated",
            ],
            rows,
        )
    )
    add(
        "\n'All uses' are the symbiosis routes and the outlets (what the rest of the economy buys); 'symbiosis "
        "routes' include MSW burnt in incinerators (W1) and steam piped to chemical plants; Cao et al.'s "
        "MSW rate is kiln co-processing only. Cao et al.'s Table 2 ceiling is the sum of its absorbable amounts "
        "over the waste's technologies divided by its generation. The 'all solid' row is `summary_table`'s: "
        "every by-product whose unsold part is landfilled (all but steam); its Cao et al. cells are for the "
        "paper's eight wastes "
        f"(per-waste rates × Table 2 generation, or the text's {SEED_TEXT_TOTAL_KT / T_PER_KT:,.2f} Mt total, over "
        f"{seed_generation / T_PER_KT:,.1f} Mt generated).\n"
    )

    rows = []
    for label, (members, share) in NATIONAL_2018.items():
        rates = [sum(r["used_kt"][b] for b in members) / sum(r["generated_kt"][b] for b in members) for r in runs]
        rows.append([label, " + ".join(members), pct(rates), seed_pct(share)])
    add(
        table(
            ["waste", "model by-products", "model: all uses", "China 2018, all uses (MEE 2019, 2018 data)"],
            rows,
            "llrr",
        )
    )
    add("")

    # (b) routes
    add("## (b) Tonnes per year by route (by-product × technology, kt/yr)\n")
    rows = []
    keys = sorted(
        {key for r in runs for key in r["route_kt"].index},
        key=lambda bk: (byproducts.index(bk[0]), technologies.index(bk[1])),
    )
    for b, k in keys:
        kt = [float(r["route_kt"].get((b, k), 0.0)) for r in runs]
        links = [float(r["route_links"].get((b, k), 0.0)) for r in runs]
        ceiling = runs[0]["ceiling_kt"].get(k, math.nan)
        rows.append(
            [
                b,
                k,
                dest.get(k, ""),
                spread(kt, 0),
                spread(links, 0),
                _num(ceiling, 0),
                _num(SEED_ABSORBABLE_KT.get(k, math.nan), 0),
            ]
        )
    missing = [k for k in technologies if not any(key[1] == k for key in keys)]
    add(
        table(
            [
                "by-product",
                "technology",
                "destination",
                "model kt/yr",
                "active seller–buyer pairs",
                "model ceiling kt/yr (all eligible plants, mean output × cap)",
                "Cao et al. Table 2 absorbable kt/yr",
            ],
            rows,
            "lllrrrr",
        )
    )
    group_kt = sum(runs[0]["ceiling_kt"].get(k, 0.0) for k in ("T2", "T4", "T6", "T8")) / 4
    add(
        f"\nT2, T4, T6 and T8 share one cap (0.235 t per t cement), so together they can take at most "
        f"{group_kt:,.0f} kt/yr, not the sum of their ceilings. Technologies that never traded in the last year "
        f"of any seed: {', '.join(missing) if missing else 'none'}.\n"
    )

    # (c) distances
    add("## (c) Haul distance (tonne-weighted, last 12 months)\n")
    rows = []
    dkeys = sorted(
        {key for r in runs for key in r["distance"]},
        key=lambda bd: (byproducts.index(bd[0]), bd[1] != "all", bd[1]),
    )
    haul = runs[0]["haul_km"]
    for b, d in dkeys:
        vals = [r["distance"].get((b, d)) for r in runs]
        med = [v[0] for v in vals if v]
        p90 = [v[1] for v in vals if v]
        kt = [v[2] if v else 0.0 for v in vals]
        rows.append(
            [
                b,
                d,
                spread(kt, 0),
                spread(med, 0),
                spread(p90, 0),
                _num(float(haul.get(b, math.nan)), 0),
                SEED_RADIUS.get((b, d), ""),
            ]
        )
    add(
        table(
            [
                "by-product",
                "destination",
                "kt/yr",
                "median km",
                "90th pct km (effective radius)",
                "model haul limit km",
                "Cao et al. (§2.2)",
            ],
            rows,
            "llrrrrl",
        )
    )
    add("")

    # (d) Spearman
    add("## (d) Route profit vs distance (Spearman, routes active in the last 12 months)\n")
    rows = [[name, spread([r["spearman"][name] for r in runs], 3)] for name in runs[0]["spearman"]]
    rows.append(["Cao et al. 2025 (§2.2, Fig. 5, all paths)", f"{SEED_SPEARMAN:.4f}"])
    add(table(["measure", "Spearman rho"], rows))
    add(
        "\nProfit per t = seller gain + buyer gain (the route's surplus per tonne, tonne-weighted over the year); "
        "annual route profit = that × tonnes. A route is a (seller, buyer, technology) triple.\n"
    )
    rows = [[name, spread([r["n_routes"][name] for r in runs], 0)] for name in runs[0]["n_routes"]]
    rows.append(["Cao et al. 2025 (§2.2): symbiosis paths in the economic optimum", str(SEED_PATHS)])
    add(table(["routes active in the last 12 months", "count"], rows))
    add("")

    # (e) key cities
    add("## (e) Key cities (share of exchanged tonnes with the seller or the buyer in the city)\n")
    mean_kiln = pd.concat([r["cities_kiln"] for r in runs], axis=1).fillna(0.0).mean(axis=1)
    mean_all = pd.concat([r["cities_all"] for r in runs], axis=1).fillna(0.0).mean(axis=1)
    top = list(dict.fromkeys([*mean_kiln.nlargest(6).index, *mean_all.nlargest(6).index]))
    top.sort(key=lambda c: -mean_kiln.get(c, 0.0))
    rows = [
        [c, pct([r["cities_kiln"].get(c, 0.0) for r in runs]), pct([r["cities_all"].get(c, 0.0) for r in runs])]
        for c in top
    ]
    add(table(["city", "kiln routes T1–T12", "all routes"], rows))
    add("\nShares add to more than 100 % because a flow between two cities counts for both.\n")
    rows = [
        [
            name,
            pct([r["key_pairs"][(name, "kiln")] for r in runs]),
            pct([r["key_pairs"][(name, "all")] for r in runs]),
        ]
        for name in (
            "between Tangshan and Handan",
            "within Tangshan",
            "within Handan",
            "Tangshan or Handan at either end",
            "crossing a city boundary",
        )
    ]
    add(table(["share of tonnes", "kiln routes T1–T12", "all routes"], rows))
    th = ", ".join(
        f"{k} {seed_pct(v)} (model {pct([r['th_systems'].get(k, 0.0) for r in runs])})"
        for k, v in SEED_TANGSHAN_HANDAN.items()
    )
    add(
        f"\nCao et al. (§2.2): Handan–Tangshan paths carry this share of each system's tonnes: {th}. "
        f"Shortest road distance (great circle × circuity) between any Tangshan and any Handan facility in the "
        f"model: {runs[0]['tangshan_handan_km']:,.0f} km; haul limits: "
        + ", ".join(f"{b} {v:,.0f} km" for b, v in haul.items() if not math.isnan(v))
        + (", none for the other by-products" if haul.isna().any() else "")
        + ".\n"
    )
    add("Key nodes of the first seed (`key_node_table`, last 12 months):\n")
    kn = runs[0]["key_nodes"]
    rows = [
        [
            r.facility_id,
            str(r.name)[:48],
            r.sector,
            r.city,
            f"{r.tonnes / T_PER_KT:,.0f}",
            f"{100 * r.share:.1f} %",
            int(r.partners),
        ]
        for r in kn.itertuples(index=False)
    ]
    add(table(["facility", "name", "sector", "city", "kt/yr", "share", "partners"], rows, "llllrrr"))
    add("")

    # (f) effects
    add("## (f) Energy and emission effects (per year, last 12 months)\n")
    rows = []
    seed_vals = {
        "energy saved (tce/yr)": f"{SEED_ENERGY_SAVED_TCE:,.0f}",
        **{f"{p.upper()} avoided (t/yr)": f"{v:,.0f}" for p, v in SEED_POLLUTANTS_T.items()},
        "tonnes used (kt/yr)": f"{SEED_TEXT_TOTAL_KT:,.0f} (text); {SEED_IMPLIED_KT:,.0f} = per-waste rates × "
        "Table 2 generation",
        "energy saved per t used (kgce/t)": "51 (5.784 Mtce / 114.05 Mt)",
    }
    for name in runs[0]["effects_all"]:
        digits = 1 if "per t" in name else 0
        rows.append(
            [
                name,
                spread([r["effects_kiln"][name] for r in runs], digits),
                spread([r["effects_all"][name] for r in runs], digits),
                seed_vals.get(name, "–"),
            ]
        )
    add(
        table(
            [
                "quantity",
                "model: kiln routes T1–T12",
                "model: all symbiosis routes",
                "Cao et al.: economic optimum (§2.3)",
            ],
            rows,
        )
    )
    dests = sorted({d for r in runs for d in r["energy_by_dest"].index})
    excluded = sorted({k for r in runs for k in r["not_symbiosis_kt"].index})
    add(
        "\nEnergy saved by destination (tce/yr): "
        + "; ".join(f"{d} {spread([float(r['energy_by_dest'].get(d, 0.0)) for r in runs], 0)}" for d in dests)
        + ". 'All symbiosis routes' leaves out plain waste treatment, as the model does: "
        + (
            ", ".join(
                f"{k}, which took {spread([float(r['not_symbiosis_kt'].get(k, 0.0)) for r in runs], 0)} kt/yr,"
                for k in excluded
            )
            or "none"
        )
        + " saves nothing in the model's accounts and is left out of 'tonnes used'. All effects are the model's own: "
        "energy and CO2 from its monthly series (all routes) and, like SO2, NOx and PM, from the per-route "
        "effects in `model.flows`.\n"
    )

    # (g) generation
    add("## (g) Generation per waste (kt/yr, last 12 months) vs Cao et al.'s Table 2\n")
    rows = []
    for b in byproducts:
        gen = [r["generated_kt"][b] for r in runs]
        seed = SEED_GENERATION_KT.get(b)
        ratio = f"{np.mean(gen) / seed:.2f}" if seed else "–"
        rows.append([b, spread(gen, 0), _num(seed, 0) if seed else "–", ratio])
    add(table(["waste", "model kt/yr", "Cao et al. Table 2 kt/yr", "model / Cao et al."], rows))
    add("")
    return "\n".join(out) + "\n"


def byproduct_of(model: SymbiosisModel, technology: str) -> str:
    """By-product used by a technology."""
    tech = model.scenario_data.table("technologies").set_index("technology")
    return str(tech.at[technology, "byproduct"]) if technology in tech.index else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Print (and with ``--out`` write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="seeds (default 1 2 3 4 5)")
    parser.add_argument("--out", type=Path, help="also write the Markdown to this file (atomically)")
    args = parser.parse_args(argv)
    command = "python scripts/calibration_report.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = report(args.seeds, command.strip())
    sys.stdout.write(text)
    if args.out:
        write_atomic(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
