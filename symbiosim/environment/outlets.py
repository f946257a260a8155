"""Outlets: what the rest of the economy buys of each by-product, cleared at a uniform price.

An *outlet* (catalog table ``outlets``) is one use of one by-product in one province, such as
ground granulated BF slag in ready-mix concrete in Hebei. It is not a modelled facility: it
stands for the many users of that product, with a demand that is limited
(``demand_t_per_yr``, following a sector's seasons if one is named) and falls with the price,
linearly from ``price_first_cny_per_t`` for its first tonne to ``price_last_cny_per_t`` for its
last (delivered prices). The curve is split into ``outlet_demand_blocks`` equal blocks, each
priced at its midpoint. The buyer pays the haul (``haul_km`` x the mode's tariff + the
by-product's loading cost), as on symbiosis routes, so a block is worth its price less the
haul at the seller's gate.

The outlets of one by-product in one province form a *market*; every facility in the
province that generates the by-product can sell into it. Each month, after the symbiosis
routes have cleared, each market clears what is left unsold by a **uniform-price double
auction** (Chatterjee and Samuelson 1983; the k-double auction of Rustichini, Satterthwaite and
Williams 1994): sellers offer their tonnes at their reservation price (their own cost of
disposal, avoided by a sale), the blocks bid their gate values, offers are taken in rising
and bids in falling order while the bid covers the offer, and every tonne of the market
trades at one gate price. The price lies between what the marginal trade allows and what the
first excluded bid or offer would undercut,

    lower = max(last accepted offer, first rejected bid),
    upper = min(last accepted bid, first rejected offer),
    price = lower + k (upper - lower),

with ``k`` the sellers' bargaining share. So the price feels scarcity: when supply exceeds
what the outlets take, the first rejected offer is a seller's disposal cost and the price
falls toward it; when demand exceeds supply, the first rejected bid is the next block's
value and the price rises toward it. A market with no trade quotes its highest bid (what a
first tonne would fetch); one with no demand quotes nothing (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numba import njit
from numpy.typing import NDArray

from symbiosim.environment.clearing_loops import outlet_markets
from symbiosim.environment.competition import share_array
from symbiosim.environment.numpy_exact import maximum, minimum, numpy_sum
from symbiosim.environment.units import MONTHS_PER_YEAR, TONNE_EPSILON
from symbiosim.environment.validation import FILE_COLUMN, ValidationIssue, row_issue

__all__ = [
    "BUNDLED_OUTLETS",
    "OutletClearing",
    "Outlets",
    "clear_outlets",
    "expected_gate_price",
    "market_price_of_seller",
    "mean_traded_price",
    "outlet_issues",
    "outlet_share_outbid",
]

BUNDLED_OUTLETS = "catalog/outlets.csv"  # how the bundled table's rows name their file


@dataclass(frozen=True)
class Outlets:
    """The outlets of a scenario and the markets they form.

    Attributes:
        ids: (outlets,) outlet ids.
        market: (outlets,) market of each outlet.
        market_byproduct: (markets,) by-product index of each market.
        market_province: (markets,) province of each market.
        demand_t_per_month: (outlets,) annual demand / 12.
        season: (outlets, 12) monthly demand factors (1 when flat).
        block_price_cny_per_t: (outlets, blocks) delivered price of each block of the demand curve.
        transport_cny_per_t: (outlets,) haul paid by the outlet's users per tonne.
        seller_market: (facilities, by-products) market each facility sells the by-product
            into (-1: none).
        expected_monthly_t: (facilities, by-products) what each seller can expect to sell to
            its outlet market in an average month: its mean generation x the market's annual
            demand / the annual generation of its sellers (at most 1). Sellers stock for
            these customers as for contracts (see ``agents/production.py``), so a market that
            takes more over the year than in its low season is served from stock.
    """

    ids: tuple[str, ...]
    market: NDArray[np.intp]
    market_byproduct: NDArray[np.intp]
    market_province: tuple[str, ...]
    demand_t_per_month: NDArray[np.float64]
    season: NDArray[np.float64]
    block_price_cny_per_t: NDArray[np.float64]
    transport_cny_per_t: NDArray[np.float64]
    seller_market: NDArray[np.intp]
    expected_monthly_t: NDArray[np.float64]

    @cached_property
    def markets_of_byproduct(self) -> tuple[tuple[int, NDArray[np.bool_]], ...]:
        """Each by-product that has outlet markets, with which markets are its (by-product order)."""
        return tuple((b, self.market_byproduct == b) for b in np.unique(self.market_byproduct).tolist())

    @property
    def n_outlets(self) -> int:
        """Number of outlets."""
        return len(self.ids)

    @property
    def n_markets(self) -> int:
        """Number of (by-product, province) markets."""
        return len(self.market_byproduct)

    @property
    def gate_value_cny_per_t(self) -> NDArray[np.float64]:
        """(outlets, blocks) what each block is worth at a seller's gate: its price less the haul."""
        return self.block_price_cny_per_t - self.transport_cny_per_t[:, None]

    def block_capacity_t(self, calendar_month: int) -> NDArray[np.float64]:
        """(outlets, blocks) tonnes each block takes in a calendar month (1-12)."""
        n_blocks = self.block_price_cny_per_t.shape[1]
        monthly = self.demand_t_per_month * self.season[:, calendar_month - 1] / n_blocks
        return np.repeat(monthly[:, None], n_blocks, axis=1)

    @classmethod
    def build(
        cls,
        table: pd.DataFrame,
        byproducts: list[str],
        byproduct_table: pd.DataFrame,
        facilities: pd.DataFrame,
        season_of_sector: dict[str, NDArray[np.float64]],
        n_blocks: int,
        tariff_factor: float = 1.0,
        mean_generation_t: NDArray[np.float64] | None = None,
    ) -> Outlets:
        """The outlets of a validated ``outlets`` table.

        Args:
            table: the scenario's ``outlets`` table.
            byproducts: by-product ids in catalog order.
            byproduct_table: the ``byproducts`` table in that order (loading cost per tonne).
            facilities: the facilities (``province``), in node order.
            season_of_sector: 12 monthly factors of each sector with a seasonality.
            n_blocks: blocks each demand curve is split into (at least 1).
            tariff_factor: multiplies every freight tariff (the freight lever).
            mean_generation_t: (facilities, by-products) mean monthly generation, for what
                sellers expect to sell (None: nothing expected).
        """
        n_blocks = max(int(n_blocks), 1)
        b_index = {b: i for i, b in enumerate(byproducts)}
        byproduct = np.array([b_index[b] for b in table["byproduct"]], dtype=np.intp)
        province = [str(p) for p in table["province"]]
        keys = list(dict.fromkeys(zip(byproduct.tolist(), province, strict=True)))
        market_of = {key: m for m, key in enumerate(keys)}
        market = np.array([market_of[key] for key in zip(byproduct.tolist(), province, strict=True)], dtype=np.intp)
        first = table["price_first_cny_per_t"].to_numpy(dtype=float)
        last = table["price_last_cny_per_t"].to_numpy(dtype=float)
        midpoints = (np.arange(n_blocks) + 0.5) / n_blocks
        loading = byproduct_table["fixed_cost_cny_per_t"].to_numpy(dtype=float)[byproduct]
        flat = np.ones(MONTHS_PER_YEAR)
        season = np.array([season_of_sector.get(s, flat) if s else flat for s in table["season_sector"]])
        seller_market = np.full((len(facilities), len(byproducts)), -1, dtype=np.intp)
        facility_province = facilities["province"].astype(str).to_numpy()
        for (b, prov), m in market_of.items():
            seller_market[facility_province == prov, b] = m
        demand_t_per_yr = table["demand_t_per_yr"].to_numpy(dtype=float)
        expected = np.zeros(seller_market.shape)
        if mean_generation_t is not None:
            for (b, _), m in market_of.items():
                sellers = seller_market[:, b] == m
                supply_t_per_yr = mean_generation_t[sellers, b].sum() * MONTHS_PER_YEAR
                share = min(1.0, demand_t_per_yr[market == m].sum() / supply_t_per_yr) if supply_t_per_yr > 0 else 0.0
                expected[sellers, b] = mean_generation_t[sellers, b] * share
        return cls(
            ids=tuple(str(o) for o in table["outlet"]),
            market=market,
            market_byproduct=np.array([key[0] for key in keys], dtype=np.intp),
            market_province=tuple(key[1] for key in keys),
            demand_t_per_month=demand_t_per_yr / MONTHS_PER_YEAR,
            season=season.reshape(len(table), MONTHS_PER_YEAR),
            block_price_cny_per_t=first[:, None] + (last - first)[:, None] * midpoints[None, :],
            transport_cny_per_t=table["haul_km"].to_numpy(dtype=float)
            * table["tariff_cny_per_t_km"].to_numpy(dtype=float)
            * tariff_factor
            + loading,
            seller_market=seller_market,
            expected_monthly_t=expected,
        )


@dataclass(frozen=True)
class OutletClearing:
    """One month's outlet trade.

    Attributes:
        sold_t: (facilities, by-products) tonnes each facility sold to outlets.
        outlet_t: (outlets,) tonnes each outlet bought.
        market_t: (markets,) tonnes traded in each market.
        price_cny_per_t: (markets,) each market's gate price (NaN where it has no demand).
        value_cny: (facilities,) what each facility earned from outlets (gate price x tonnes).
    """

    sold_t: NDArray[np.float64]
    outlet_t: NDArray[np.float64]
    market_t: NDArray[np.float64]
    price_cny_per_t: NDArray[np.float64]
    value_cny: NDArray[np.float64]

    @classmethod
    def none(cls, n: int, n_byproducts: int) -> OutletClearing:
        """No outlet trade (a scenario without outlets, or before the first month)."""
        return cls(np.zeros((n, n_byproducts)), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(n))


def clear_outlets(
    outlets: Outlets,
    supply_t: NDArray[np.float64],
    reservation_cny_per_t: NDArray[np.float64],
    capacity_t: NDArray[np.float64],
    seller_share: float | NDArray[np.float64],
) -> OutletClearing:
    """Clear every outlet market by a uniform-price double auction (see the module's text).

    Args:
        outlets: the outlets.
        supply_t: (facilities, by-products) unsold tonnes on offer; reduced in place by what
            is sold.
        reservation_cny_per_t: (facilities, by-products) each seller's reservation price.
        capacity_t: (outlets, blocks) what each block takes this month.
        seller_share: the sellers' share ``k`` of the price interval (0-1): one, or (by-products,) each by-product's.

    Returns:
        Tonnes sold per facility and per outlet, and each market's price.
    """
    n, n_b = supply_t.shape
    sold = np.zeros((n, n_b))
    outlet_t = np.zeros(outlets.n_outlets)
    market_t = np.zeros(outlets.n_markets)
    price = np.full(outlets.n_markets, np.nan)
    share = share_array(seller_share, n_b)[outlets.market_byproduct]  # each market's by-product's
    # one compiled pass over the markets: bids, asks, the auction and the price
    outlet_markets(outlets.market.astype(np.int64), outlets.market_byproduct.astype(np.int64),
                   outlets.seller_market.astype(np.int64), (outlets.gate_value_cny_per_t, capacity_t),
                   (supply_t, reservation_cny_per_t), share, (sold, outlet_t, market_t, price))  # fmt: skip
    supply_t -= sold
    np.maximum(supply_t, 0.0, out=supply_t)
    seller_price = market_price_of_seller(outlets, price)
    earned = (sold * np.where(np.isnan(seller_price), 0.0, seller_price)).sum(axis=1)
    return OutletClearing(sold_t=sold, outlet_t=outlet_t, market_t=market_t, price_cny_per_t=price, value_cny=earned)


def market_price_of_seller(outlets: Outlets, price_cny_per_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """(facilities, by-products) the gate price of the market each facility sells into (NaN: none).

    Args:
        outlets: the outlets.
        price_cny_per_t: (markets,) a price per market.
    """
    market = outlets.seller_market
    quoted = np.full(market.shape, np.nan)
    has = market >= 0
    quoted[has] = price_cny_per_t[market[has]]
    return quoted


def outlet_share_outbid(
    outlets: Outlets,
    seller_market: NDArray[np.intp],
    value_cny_per_t: NDArray[np.float64],
    sold_t_per_yr: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per route, the share of its seller's outlet sales that a buyer valuing them at ``value_cny_per_t`` would take.

    Outlets keep the blocks of their demand curve worth at least that much at a seller's
    gate; as sellers turn to the buyer, the outlet price rises along the curve to the
    buyer's value, so the buyer takes what the outlets bought beyond those blocks. The
    blocks are a year of average demand; a market's sales are shared by its sellers pro rata.

    Args:
        outlets: the outlets.
        seller_market: per route, the market its seller sells the by-product into (-1: none).
        value_cny_per_t: per route, what the buyer would pay at the seller's gate (``w - t``).
        sold_t_per_yr: (markets,) what each market bought over the past year, t.

    Examples:
        A market whose four blocks of 1,000 t/yr are worth 40, 30, 20 and 10 CNY/t at the gate
        bought 3,000 t: a buyer paying 25 takes the 1,000 t of the block worth 20 (a third of
        the sales), one paying 35 takes two thirds, one paying 5 nothing:

        >>> o = Outlets(("a",), np.array([0]), np.array([0]), ("P",), np.array([4000 / 12]), np.ones((1, 12)),
        ...             np.array([[40.0, 30.0, 20.0, 10.0]]), np.zeros(1), np.zeros((1, 1), dtype=np.intp),
        ...             np.zeros((1, 1)))
        >>> outlet_share_outbid(o, np.array([0, 0, 0, -1]), np.array([25.0, 35.0, 5.0, 25.0]),
        ...                     np.array([3000.0])).round(3).tolist()
        [0.333, 0.667, 0.0, 0.0]
    """
    n_blocks = outlets.block_price_cny_per_t.shape[1]
    block_t = outlets.demand_t_per_month * MONTHS_PER_YEAR / n_blocks  # (outlets,) a year of each block
    return _share_outbid(outlets.market.astype(np.int64), outlets.gate_value_cny_per_t, block_t,
                         np.asarray(seller_market, dtype=np.int64), np.asarray(value_cny_per_t, dtype=np.float64),
                         np.asarray(sold_t_per_yr, dtype=np.float64))  # fmt: skip


@njit(cache=True)
def _share_outbid(
    market: NDArray[np.int64],
    value: NDArray[np.float64],
    block_t: NDArray[np.float64],
    seller_market: NDArray[np.int64],
    value_cny_per_t: NDArray[np.float64],
    sold_t_per_yr: NDArray[np.float64],
) -> NDArray[np.float64]:
    """:func:`outlet_share_outbid`, one route at a time: the tonnes its market's blocks keep, summed as numpy sums them."""
    share = np.zeros(len(seller_market))
    n_blocks = value.shape[1]
    for i in range(len(seller_market)):
        m = seller_market[i]
        if m < 0 or sold_t_per_yr[m] <= TONNE_EPSILON:
            continue
        members = 0
        for o in range(len(market)):
            members += market[o] == m
        kept_by_block = np.empty(n_blocks * members)  # member outlets in order, blocks in order
        j = 0
        for o in range(len(market)):
            if market[o] == m:
                for k in range(n_blocks):
                    kept_by_block[j] = (1.0 if value[o, k] >= value_cny_per_t[i] else 0.0) * block_t[o]
                    j += 1
        kept = numpy_sum(kept_by_block)
        share[i] = minimum(maximum(1.0 - minimum(kept, sold_t_per_yr[m]) / sold_t_per_yr[m], 0.0), 1.0)
    return share


def mean_traded_price(by_month_cny_per_t: NDArray[np.float64], last_cny_per_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """(markets,) each market's mean price over the months in which it traded (NaN: did not), else ``last_cny_per_t``.

    >>> mean_traded_price(np.array([[10.0, np.nan, 20.0], [np.nan, np.nan, np.nan]]), np.array([5.0, 7.0])).tolist()
    [15.0, 7.0]
    """
    traded = ~np.isnan(by_month_cny_per_t)
    months = traded.sum(axis=1)
    total = np.where(traded, by_month_cny_per_t, 0.0).sum(axis=1)
    return np.divide(total, months, out=np.asarray(last_cny_per_t, dtype=float).copy(), where=months > 0)


def expected_gate_price(
    outlets: Outlets | None,
    last_price_cny_per_t: NDArray[np.float64],
    supply_t: NDArray[np.float64],
    reservation_cny_per_t: NDArray[np.float64],
    calendar_month: int,
    seller_share: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """(facilities, by-products) the gate price each seller expects from its outlet market (NaN: none).

    Sellers expect a market's last price (``last_price_cny_per_t``, (markets,)) again. Where
    there is none (before a market's first clearing, or after a month in which it did not
    trade) they expect the price it would reach if all of ``supply_t`` were offered to it (a
    trial clearing on a copy, which changes nothing).

    Args:
        outlets: the outlets (None: no outlets, every expectation NaN).
        last_price_cny_per_t: (markets,) each market's last traded price (NaN: none).
        supply_t: (facilities, by-products) what the sellers have on offer.
        reservation_cny_per_t: (facilities, by-products) their own reservation prices.
        calendar_month: this month (1-12), for the outlets' seasons.
        seller_share: the sellers' share ``k`` of the price interval: one, or (by-products,) each by-product's.

    Returns:
        (facilities, by-products) the gate price each seller expects.
    """
    if outlets is None or not outlets.n_markets:
        return np.full(supply_t.shape, np.nan)
    expected = last_price_cny_per_t
    if np.isnan(expected).any():
        trial = clear_outlets(outlets, supply_t.copy(), reservation_cny_per_t,
                              outlets.block_capacity_t(calendar_month), seller_share)  # fmt: skip
        expected = np.where(np.isnan(expected), trial.price_cny_per_t, expected)
    return market_price_of_seller(outlets, expected)


def outlet_issues(outlets: pd.DataFrame, provinces: set[str]) -> list[ValidationIssue]:
    """An outlet's demand curve slopes down, and one of the scenario's own lies in a province of its facilities."""
    issues: list[ValidationIssue] = []
    for _, row in outlets.iterrows():
        first, last = row["price_first_cny_per_t"], row["price_last_cny_per_t"]
        if isinstance(first, float) and isinstance(last, float) and last > first:
            issues.append(row_issue(row, "price_last_cny_per_t", f"{last:g} is above price_first_cny_per_t {first:g}: "
                                     "an outlet pays less, not more, for each further tonne"))  # fmt: skip
        # the bundled outlets serve the bundled region: a scenario with other facilities just does not use them
        if row["province"] not in provinces and row[FILE_COLUMN] != BUNDLED_OUTLETS:
            issues.append(row_issue(row, "province", f"no facility of the scenario lies in province '{row['province']}'"))
    return issues
