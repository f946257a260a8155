"""What trading partners know of each other, how far they trust each other, and what they have agreed.

Knowledge and trust belong to a *link* (a seller-buyer pair), contracts to a *route* (a link
and a technology); see :mod:`symbiosim.environment.routes`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from symbiosim.environment.routes import Routes

__all__ = ["ContractBook", "SearchRules", "TrustRules"]


@dataclass(frozen=True)
class TrustRules:
    """How trust moves and gates trade (all in 0-1)."""

    initial: float
    gain: float
    loss: float
    minimum: float


@dataclass(frozen=True)
class SearchRules:
    """How agents learn of partners (probabilities per month or per search)."""

    discovery_probability: float  # chance a search finds a given candidate
    referral_probability: float  # chance a partner's partner becomes known in a month


@dataclass
class ContractBook:
    """What trading partners know of each other and have agreed (per link, per route).

    Attributes:
        known: (links,) the two parties know each other.
        trust: (links,) trust between them, 0-1.
        contract_volume_t, contract_price: (routes,) the volume (t/month at signing) and price
            (CNY/t) of the route's contract.
        contract_start, contract_end: (routes,) first and last step of the contract (end < step:
            no contract in force).
        first_trade_step: (routes,) step of the first trade on the route (-1: never traded).
        contract_seller_season, contract_buyer_season: (routes,) each party's seasonal factor
            in the month the contract was signed.
        outlet_price: (outlet markets,) each outlet market's last gate price (CNY/t; NaN
            before its first clearing), which sellers expect again (see
            :mod:`symbiosim.environment.outlets`).
        outlet_price_by_month: (outlet markets, 12) each market's gate price in each calendar
            month of the past 12 (NaN where it did not trade), which investors expect.
    """

    known: NDArray[np.bool_]
    trust: NDArray[np.float64]
    contract_volume_t: NDArray[np.float64]
    contract_price: NDArray[np.float64]
    contract_start: NDArray[np.int64]
    contract_end: NDArray[np.int64]
    first_trade_step: NDArray[np.int64]
    contract_seller_season: NDArray[np.float64]
    contract_buyer_season: NDArray[np.float64]
    outlet_price: NDArray[np.float64]
    outlet_price_by_month: NDArray[np.float64]

    @classmethod
    def fresh(cls, routes: Routes, initial_trust: float, n_outlet_markets: int = 0) -> ContractBook:
        """Nobody known, initial trust on every link, no contract, no outlet price yet."""
        n = routes.n_routes
        return cls(
            known=np.zeros(routes.n_links, dtype=bool),
            trust=np.full(routes.n_links, initial_trust),
            contract_volume_t=np.zeros(n),
            contract_price=np.zeros(n),
            contract_start=np.zeros(n, dtype=np.int64),
            contract_end=np.full(n, -1, dtype=np.int64),
            first_trade_step=np.full(n, -1, dtype=np.int64),
            contract_seller_season=np.ones(n),
            contract_buyer_season=np.ones(n),
            outlet_price=np.full(n_outlet_markets, np.nan),
            outlet_price_by_month=np.full((n_outlet_markets, 12), np.nan),
        )

    def arrays(self) -> dict[str, NDArray]:
        """Every array by name (the book's whole state)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def copy(self) -> ContractBook:
        """An independent copy (to clear a month again from the same state)."""
        return ContractBook(**{name: values.copy() for name, values in self.arrays().items()})

    def restore(self, saved: ContractBook) -> None:
        """Overwrite every array in place with ``saved``'s."""
        values = saved.arrays()
        for name, current in self.arrays().items():
            if np.shape(values[name]) != current.shape:
                raise ValueError(f"{name} has shape {np.shape(values[name])}, the market {current.shape}")
            current[...] = values[name]
