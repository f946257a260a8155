"""SteelPlant: An iron and steel plant."""

from symbiosim.agents.base import Enterprise

__all__ = ["SteelPlant"]


class SteelPlant(Enterprise):
    """An iron and steel plant: makes crude steel (and blast-furnace iron), generates steel slag and BF slag.

    Behaviour is the common enterprise behaviour; what differs by sector (products,
    by-products, technologies, prices) comes from the catalog tables.
    """
