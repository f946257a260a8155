"""Consequential savings: the attributional saving of each exchange x the share business as usual leaves unused.

On the tiny park (tests/data/tiny) the catalog states no business-as-usual share, so every tonne
is additional and both figures agree; with a share of 0.25 stated for its steel slag, the
consequential saving is a quarter of the attributional one, month by month.
"""

import pytest

from symbiosim import SymbiosisModel
from symbiosim.accounting import EFFECTS


def consequential_share(model: SymbiosisModel) -> dict[str, float]:
    series = model.datacollector.get_model_vars_dataframe().iloc[1:]
    return {name: series[f"consequential_{name}"].sum() / series[name].sum() for name in EFFECTS if series[name].sum()}


def test_without_a_stated_share_every_tonne_is_additional(tiny_park_toml):
    model = SymbiosisModel(tiny_park_toml, rng=3)
    model.run(3)
    shares = consequential_share(model)
    assert shares  # the park saves energy and CO2
    assert shares == pytest.approx(dict.fromkeys(shares, 1.0))


def test_a_stated_share_scales_every_saving(tiny_park_toml, tmp_path):
    byproducts = (tiny_park_toml.parent / "byproducts.csv").read_text().splitlines()
    header, row = byproducts[0], byproducts[1]
    (tmp_path / "byproducts.csv").write_text(f"{header},bau_landfill_share\n{row},0.25\n")
    toml = tmp_path / "park.toml"
    toml.write_text(
        f'[scenario]\nname = "tiny park, a quarter of its slag unused otherwise"\nextends = "{tiny_park_toml.as_posix()}"\n'
        '[tables.byproducts]\nfile = "byproducts.csv"\n'
    )
    model = SymbiosisModel(str(toml), rng=3)
    model.run(3)
    shares = consequential_share(model)
    assert set(shares) >= {"energy_saved_tce", "co2_avoided_t"}
    assert shares == pytest.approx(dict.fromkeys(shares, 0.25))
    # the attributional figures are those of the park without the column
    plain = SymbiosisModel(tiny_park_toml, rng=3)
    plain.run(3)
    a = model.datacollector.get_model_vars_dataframe()["co2_avoided_t"]
    b = plain.datacollector.get_model_vars_dataframe()["co2_avoided_t"]
    assert a.tolist() == b.tolist()
