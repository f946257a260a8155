"""The freight lever (``freight_tariff_factor``): dearer freight shortens hauls, on the tiny park by hand.

Tiny park (tests/data/tiny): kilns at 20 km and 100 km each take 5,000 t/month of steel slag;
w = 260, r = -75 CNY/t, transport = 0.5 x factor x km + 5. At factor 1 both trade (surplus
320 and 280), the mean haul is 60 km. At factor 10 the far kiln's transport is 505 CNY/t,
more than the 335 the trade is worth, so only the near kiln (transport 105) trades: the
tonne-weighted haul falls to 20 km.
"""

import pytest

from symbiosim import SymbiosisModel


def first_month(tiny_park_toml, factor: float):
    model = SymbiosisModel(tiny_park_toml, rng=3, freight_tariff_factor=factor)
    model.step()
    return model.flows


@pytest.mark.parametrize(("factor", "buyers", "mean_km"), [(1.0, {"cement_near", "cement_far"}, 60.0),
                                                           (10.0, {"cement_near"}, 20.0)])  # fmt: skip
def test_dearer_freight_shortens_hauls(tiny_park_toml, factor, buyers, mean_km):
    flows = first_month(tiny_park_toml, factor)
    assert set(flows["buyer_id"]) == buyers
    assert (flows["tonnes"] * flows["distance_km"]).sum() / flows["tonnes"].sum() == pytest.approx(mean_km)
    transport = 0.5 * factor * flows["distance_km"] + 5.0
    assert flows["transport_cny_per_t"].to_numpy() == pytest.approx(transport.to_numpy())


def test_the_factor_scales_outlet_hauls_too(tiny_park_toml):
    toml = tiny_park_toml.parent / "outlet.toml"
    cheap = SymbiosisModel(toml, rng=3)
    dear = SymbiosisModel(toml, rng=3, freight_tariff_factor=3.0)
    # haul 30 km at 0.5 CNY/(t km), loading 5: 20 CNY/t, and 50 at three times the tariff
    assert cheap.catalog.outlets.transport_cny_per_t[0] == pytest.approx(20.0)
    assert dear.catalog.outlets.transport_cny_per_t[0] == pytest.approx(50.0)
