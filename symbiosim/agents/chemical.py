"""ChemicalPlant: A chemical plant."""

from symbiosim.agents.base import Enterprise

__all__ = ["ChemicalPlant"]


class ChemicalPlant(Enterprise):
    """A chemical plant: buys process steam by pipeline; coal-based plants generate gasification or coking slag.

    Behaviour is the common enterprise behaviour; what differs by sector (products,
    by-products, technologies, prices) comes from the catalog tables.
    """
