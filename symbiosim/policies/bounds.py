"""The highest fees, taxes, subsidies and charges the policies of a run set in any of its months.

The levers are set month by month exactly as a run sets them (the policies in force, in
schedule order, from the baseline) and the highest value of each is kept. Policies that read the
region (a symbiosis-aware limit's key nodes) see no exchanges here and keep their own memory; they
set none of these levers. A new policy type must not make a fee, tax, subsidy or charge depend on
the exchanges or the capacity it sees, or these maxima may fall short of what it sets in a run.
Nothing in a run depends on these maxima except which routes exist (``symbiosim.reach``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.arrays import CatalogArrays
from symbiosim.policies.levers import EMITTED, PolicyLevers, PolicyView
from symbiosim.policies.schedule import PolicySchedule

__all__ = ["LeverMaxima", "lever_maxima"]


@dataclass(frozen=True)
class LeverMaxima:
    """The highest each lever that enters a route's gain reaches in any month of a run.

    Attributes:
        disposal_cny_per_t: (facilities, by-products) landfill fee + EP tax.
        subsidy_cny_per_t: (facilities, technologies) per-tonne subsidy to the buyer.
        transport_subsidy_cny_per_t_km: (by-products,) transport subsidy.
        emission_charge_cny_per_t: per substance of ``EMITTED``, (facilities,) charge per tonne.
        vat_rate_per_threshold: (facilities,) VAT rebate rate over the threshold share of raw
            material (0 where no rebate with a threshold applies).
        raw_material_t_per_unit: (facilities, products) the smallest raw material per unit of
            output set in a month with a rebate (inf where no rebate applies).
    """

    disposal_cny_per_t: NDArray[np.float64]
    subsidy_cny_per_t: NDArray[np.float64]
    transport_subsidy_cny_per_t_km: NDArray[np.float64]
    emission_charge_cny_per_t: dict[str, NDArray[np.float64]]
    vat_rate_per_threshold: NDArray[np.float64]
    raw_material_t_per_unit: NDArray[np.float64]


def lever_maxima(
    schedule: PolicySchedule, months: Iterable[dt.date], catalog: CatalogArrays, view: PolicyView
) -> LeverMaxima:
    """The highest value of each lever over ``months`` (see the module).

    Args:
        schedule: the run's policies.
        months: first day of each month of the run.
        catalog: the scenario's arrays (the baseline fees and taxes).
        view: what the policies see; a copy with no exchanges and an empty memory is used.
    """
    levers = PolicyLevers.baseline(catalog)
    n = catalog.n_facilities
    own_view = replace(view, tonnes_by_facility=lambda months: np.zeros(n), memory={})
    disposal = levers.landfill_fee + levers.ep_tax
    subsidy = levers.subsidy_cny_per_t.copy()
    transport = levers.transport_subsidy_cny_per_t_km.copy()
    charges = {name: levers.emission_charge_cny_per_t[name].copy() for name in EMITTED}
    vat, raw = np.zeros(n), np.full_like(levers.raw_material_t_per_unit, np.inf)
    for month in months:
        if not schedule.active(month):
            continue
        levers.reset()
        schedule.apply(levers, own_view, month)  # as the run sets them (SymbiosisModel.apply_policies)
        np.maximum(disposal, levers.landfill_fee + levers.ep_tax, out=disposal)
        np.maximum(subsidy, levers.subsidy_cny_per_t, out=subsidy)
        np.maximum(transport, levers.transport_subsidy_cny_per_t_km, out=transport)
        for name in EMITTED:
            np.maximum(charges[name], levers.emission_charge_cny_per_t[name], out=charges[name])
        rebated = (levers.vat_rebate_rate > 0) & (levers.vat_threshold > 0)  # no threshold: no premium
        rate = np.divide(levers.vat_rebate_rate, levers.vat_threshold, out=np.zeros(n), where=rebated)
        np.maximum(vat, rate, out=vat)
        raw[rebated] = np.minimum(raw[rebated], levers.raw_material_t_per_unit[rebated])
    return LeverMaxima(disposal, subsidy, transport, charges, vat, raw)
