"""CementPlant: A cement or clinker plant."""

from symbiosim.agents.base import Enterprise

__all__ = ["CementPlant"]


class CementPlant(Enterprise):
    """A cement or clinker plant: the main sink, using slags, ashes, gypsum and urban wastes within its technology caps.

    Behaviour is the common enterprise behaviour; what differs by sector (products,
    by-products, technologies, prices) comes from the catalog tables.
    """
