"""WasteFacility: A waste facility."""

from symbiosim.agents.base import Enterprise

__all__ = ["WasteFacility"]


class WasteFacility(Enterprise):
    """A waste facility: MSW incinerator, landfill, or a city's aggregate source of MSW, sewage sludge or hazardous waste.

    Behaviour is the common enterprise behaviour; what differs by sector (products,
    by-products, technologies, prices) comes from the catalog tables.
    """
