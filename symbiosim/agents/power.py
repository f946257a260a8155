"""PowerPlant: A coal-fired power or CHP plant."""

from symbiosim.agents.base import Enterprise

__all__ = ["PowerPlant"]


class PowerPlant(Enterprise):
    """A coal-fired power or CHP plant: generates electricity, boiler slag, fly ash, FGD gypsum and extractable steam.

    Behaviour is the common enterprise behaviour; what differs by sector (products,
    by-products, technologies, prices) comes from the catalog tables.
    """
