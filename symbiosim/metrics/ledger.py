"""Energy and emission effects of exchanges (seed eq. 6 and 7), as pure array functions.

For a tonne of by-product used by technology k and hauled d km:

* energy saved (kgce) = displaced_per_t x energy of the displaced material
  - extra process energy of k - d x transport energy per t km   (eq. 6: direct + indirect - transport)
* CO2 avoided (kg) = displaced_per_t x CO2 of the displaced material - extra process CO2
  - d x transport CO2 per t km
* SO2, NOx, PM avoided (kg) = displaced_per_t x the material's factor             (eq. 7, raw-material term)

Savings are counted against the counterfactual in which the by-product is landfilled and
the buyer uses virgin material (see COEFFICIENTS note on ground slag).
"""

import numpy as np
from numpy.typing import NDArray

__all__ = ["exchange_effects", "weighted_sum_by"]

type FloatArray = NDArray[np.float64]


def exchange_effects(
    tonnes: FloatArray,
    distance_km: FloatArray,
    displaced_per_t: FloatArray,
    material_factor_per_unit: FloatArray,
    extra_per_t: FloatArray,
    transport_per_t_km: FloatArray,
) -> FloatArray:
    """Net saving of one quantity (energy, CO2 or a pollutant) per exchange.

    All arguments are arrays of the same length (one entry per exchange); the result is in
    the unit of ``material_factor_per_unit`` (e.g. kgce) for each exchange.

    >>> round(float(exchange_effects(np.array([10.0]), np.array([50.0]), np.array([1.0]),
    ...                              np.array([110.0]), np.array([4.67]), np.array([0.0143]))[0]), 6)
    1046.15
    """
    return tonnes * (displaced_per_t * material_factor_per_unit - extra_per_t - distance_km * transport_per_t_km)


def weighted_sum_by(index: NDArray[np.intp], values: FloatArray, size: int) -> FloatArray:
    """Sum ``values`` into ``size`` bins given by ``index`` (e.g. per facility)."""
    return np.bincount(index, weights=values, minlength=size).astype(np.float64)
