"""Production, what buyers can take, and what sellers do with what they could not sell (all facilities at once)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symbiosim.agents.state import FacilityState
from symbiosim.environment.arrays import MONTHS_PER_YEAR, CatalogArrays
from symbiosim.environment.competition import shares_at
from symbiosim.environment.market import MonthInputs
from symbiosim.environment.routes import Routes

__all__ = ["OutputConditions", "buyer_capacity_t", "market_inputs", "produce", "store_or_dispose"]


@dataclass(frozen=True)
class OutputConditions:
    """What the facilities decide their month's output under.

    Attributes:
        month: calendar month, 1-12.
        limit_factor: (facilities,) production cap as a share of capacity (1 = no limit).
        charge_cny_per_unit: (facilities, products) charges each unit of output carries
            (carbon price above any output-based free allocation, taxes on air pollutants).
    """

    month: int
    limit_factor: NDArray[np.float64]
    charge_cny_per_unit: NDArray[np.float64]


def produce(
    state: FacilityState, catalog: CatalogArrays, rate: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """This month's output and by-products of every facility; last month's stock goes on offer again.

    Output = capacity / 12 x rate, the rate clipped to [0, 1] of capacity; by-products =
    output x generation coefficients.

    Args:
        state: the facilities (``output``, ``supply_t``, ``stock`` and the year's tallies change).
        catalog: generation coefficients.
        rate: (facilities, products) output as a share of capacity, as the agents decided it
            (``production_rate`` of each agent class).

    Returns:
        Tonnes generated this month and tonnes drawn from stock, (facilities, by-products) each.
    """
    state.output[...] = state.capacity_per_yr / MONTHS_PER_YEAR * np.clip(rate, 0.0, 1.0)
    state.output_this_year += state.output
    state.months_this_year += 1
    generated = np.einsum("np,npb->nb", state.output, catalog.generation_t_per_unit)
    drawn = state.stock.copy()
    state.supply_t[...] = generated + state.stock
    state.stock[...] = 0.0
    return generated, drawn


def buyer_capacity_t(state: FacilityState, catalog: CatalogArrays) -> NDArray[np.float64]:
    """Tonnes each facility can take this month per technology: min(cap x output, installed / 12) (Cao et al. 2025, eq. 3)."""
    by_output = catalog.tech_cap_t_per_t[None, :] * state.output[:, catalog.tech_cap_product]
    return np.where(state.installed_tpa > 0, np.minimum(by_output, state.installed_tpa / MONTHS_PER_YEAR), 0.0)


def market_inputs(
    state: FacilityState,
    catalog: CatalogArrays,
    routes: Routes,
    prices: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    generated_t: NDArray[np.float64],
    month: int,
    seller_share: float | NDArray[np.float64],
) -> MonthInputs:
    """What the facilities bring to this month's market: supply, what buyers can take, prices.

    Args:
        state: the facilities after production.
        catalog: caps, seasonality.
        routes: the scenario's routes.
        prices: per route, the buyer's willingness to pay, the seller's reservation price (its
            best alternative) and its own reservation (its disposal route alone), CNY/t.
        generated_t: (facilities, by-products) tonnes generated this month.
        month: calendar month, 1-12.
        seller_share: the seller's share of a trade's surplus: one, or (by-products,) each by-product's.
    """
    wtp, reservation, own_reservation = prices
    return MonthInputs(
        supply_t=state.supply_t,
        generated_t=generated_t,
        capacity_t=buyer_capacity_t(state, catalog),
        group_capacity_t=catalog.facility_group_cap * state.output[:, catalog.group_cap_product],
        wtp_cny_per_t=wtp,
        reservation_cny_per_t=reservation,
        is_installed=routes.at_buyer(state.installed_tpa) > 0,
        season_now=catalog.expected_season[:, month - 1],
        installed_monthly_t=state.installed_tpa / MONTHS_PER_YEAR,
        season_peak=catalog.expected_season.max(axis=1),
        seller_share=shares_at(seller_share, routes.byproduct),
        own_reservation_cny_per_t=own_reservation,
    )


def store_or_dispose(
    state: FacilityState, catalog: CatalogArrays, contracted_t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What is left unsold is stored as a buffer for customers, the rest is disposed of.

    A seller keeps up to ``storage_months`` of the volume it has under contract and expects to
    sell to outlets (and no more than its storage limit); the rest is landfilled, or simply not
    extracted (steam).

    Args:
        state: the facilities after clearing (``supply_t`` holds what is unsold; ``stock`` and
            this year's unsold tally change).
        catalog: storage months and disposal routes.
        contracted_t: (facilities, by-products) volume under contracts in force plus what the
            seller expects to sell to outlets, t per month.

    Returns:
        Tonnes stored and disposed of, (facilities, by-products) each.
    """
    unsold = np.maximum(state.supply_t, 0.0)
    buffer_t = np.minimum(state.storage_limit_t, contracted_t * catalog.storage_months[None, :])
    stored = np.minimum(unsold, buffer_t)
    disposed = unsold - stored
    state.stock[...] = stored
    state.unsold_this_year += disposed
    return stored, disposed
