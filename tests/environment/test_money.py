"""A scenario's currency and price year: inherited CNY values converted, outputs labelled."""

import numpy as np
import pytest

from symbiosim.environment.money import CATALOG_MONEY, money_columns
from symbiosim.environment.scenario import load_scenario
from symbiosim.environment.validation import ScenarioError
from symbiosim.model import SymbiosisModel

EXACT = 0.125  # a power of two: money scales without rounding, so a run must give bit-identical tonnes


def _write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_inherited_money_value_is_converted_and_nothing_else(tmp_path):
    path = _write(tmp_path, "eur.toml", f'[money]\ncurrency = "EUR"\nprice_year = 2023\nper_cny = {EXACT}\n')
    cny, eur = load_scenario(), load_scenario(path)
    assert eur.money.currency == "EUR"
    assert cny.money == CATALOG_MONEY
    for name in cny.tables:
        money = set(money_columns(name)) if name != "parameters" else set()
        for column in cny.table(name).columns:
            a, b = cny.table(name)[column], eur.table(name)[column]
            if column in money:
                assert np.allclose(b.astype(float) * 1 / EXACT, a.astype(float), equal_nan=True), (name, column)
            elif name != "parameters":
                assert a.equals(b), (name, column)
    assert eur.parameters["search_cost_cny"] == cny.parameters["search_cost_cny"] * EXACT
    assert eur.parameters["circuity_factor"] == cny.parameters["circuity_factor"]
    assert eur.digest() != cny.digest()


def test_a_run_in_another_currency_moves_the_same_tonnes_and_scales_the_money(tmp_path):
    """Nothing in the model may depend on the size of the currency unit: a hidden CNY constant would fail this."""
    path = _write(tmp_path, "eur.toml", f'[scenario]\nyears = 2\n[money]\ncurrency = "EUR"\nprice_year = 2023\nper_cny = {EXACT}\n')
    base = _write(tmp_path, "cny.toml", "[scenario]\nyears = 2\n")
    models = []
    for scenario in (base, path):
        model = SymbiosisModel(scenario, rng=3)
        for _ in range(model.horizon_months):
            model.step()
        models.append(model)
    a, b = (m.flows for m in models)
    assert len(a) == len(b) > 0
    for column in a.columns:
        if a[column].dtype.kind != "f":
            assert a[column].equals(b[column]), column
        elif "cny" in column:
            assert np.array_equal(b[column].to_numpy(), a[column].to_numpy() * EXACT, equal_nan=True), column
        else:
            assert np.array_equal(b[column].to_numpy(), a[column].to_numpy(), equal_nan=True), column
    assert models[1].accounts.summary["profit_cny"] == pytest.approx(models[0].accounts.summary["profit_cny"] * EXACT)


def test_inherited_policies_are_converted_and_own_ones_are_not(tmp_path):
    _write(tmp_path, "parent.toml", '[[policies]]\ntype = "landfill_fee"\ncny_per_t = 100.0\nstart = 2025-01-01\nend = 2026-01-01\n')
    child = _write(tmp_path, "child.toml", '[scenario]\nextends = "parent.toml"\n[money]\ncurrency = "EUR"\nper_cny = 0.5\n'
                   '[[policies]]\ntype = "landfill_fee"\ncny_per_t = 100.0\nstart = 2026-01-01\nend = 2027-01-01\n')  # fmt: skip
    scenario = load_scenario(child)
    assert [p["cny_per_t"] for p in scenario.policies] == [50.0, 100.0]
    grandchild = _write(tmp_path, "grandchild.toml", '[scenario]\nextends = "child.toml"\n')
    inherited = load_scenario(grandchild)
    assert inherited.money == scenario.money  # EUR is inherited, not converted twice
    assert [p["cny_per_t"] for p in inherited.policies] == [50.0, 100.0]
    assert inherited.tables["byproducts"]["landfill_fee_cny_per_t"].tolist() == scenario.tables["byproducts"]["landfill_fee_cny_per_t"].tolist()


def test_an_explicit_catalog_currency_changes_nothing(tmp_path):
    path = _write(tmp_path, "cny.toml", '[money]\ncurrency = "CNY"\nprice_year = 2023\nper_cny = 1.0\n')
    plain = _write(tmp_path, "plain.toml", "")
    assert load_scenario(path).digest() == load_scenario(plain).digest()


@pytest.mark.parametrize(
    ("section", "key", "rule"),
    [
        ('currency = "euro"\nper_cny = 0.1', "money.currency", "three-letter ISO 4217"),
        ('currency = "EUR"', "money.per_cny", "required when currency or price year differ"),
        ('currency = "EUR"\nper_cny = 0.0', "money.per_cny", "outside (0, 1e+06]"),
        ('currency = "EUR"\nper_cny = "7"', "money.per_cny", "finite number"),
        ('currency = "EUR"\nper_cny = 0.1\nprice_year = 1066', "money.price_year", "whole year in 1700-2200"),
        ('currency = "EUR"\nper_cny = 0.1\nrate = 2', "money.rate", "unknown key"),
        ('per_cny = 2.0', "money.per_cny", "must be 1 for CNY"),
    ],
)
def test_bad_money_sections_are_located(tmp_path, section, key, rule):
    path = _write(tmp_path, "bad.toml", f"[money]\n{section}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert any(i.column == key and rule in i.rule and i.file == str(path) for i in caught.value.issues), caught.value


@pytest.mark.parametrize("section", ['currency = "USD"\nper_cny = 0.14', 'currency = "USD"', "price_year = 2030",
                                     "per_cny = 0.5"])  # fmt: skip
def test_a_second_conversion_or_relabelling_is_refused(tmp_path, section):
    """A child of a EUR scenario cannot relabel or re-convert what is already in euro."""
    _write(tmp_path, "eur.toml", '[money]\ncurrency = "EUR"\nper_cny = 0.13\n')
    child = _write(tmp_path, "child.toml", f'[scenario]\nextends = "eur.toml"\n[money]\n{section}\n')
    with pytest.raises(ScenarioError, match="only from the catalog's CNY"):
        load_scenario(child)
    same = _write(tmp_path, "same.toml", '[scenario]\nextends = "eur.toml"\n[money]\ncurrency = "EUR"\nper_cny = 0.13\n')
    assert load_scenario(same).money.currency == "EUR"


def test_compare_refuses_scenarios_in_different_currencies(tmp_path, capsys):
    from symbiosim.runs.cli import main

    eur = _write(tmp_path, "eur.toml", '[scenario]\nname = "eur"\n[money]\ncurrency = "EUR"\nper_cny = 0.13\n')
    assert main(["compare", "default", str(eur), "--seeds", "1", "--years", "1", "--quiet", "--out", str(tmp_path / "c")]) == 2
    assert "CNY of 2023, EUR of 2023" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_bundled_money_ranges_in_cny_are_left_out_of_another_currency(tmp_path):
    from symbiosim.environment.ranges import applicable_ranges, read_ranges

    hkd = load_scenario(_write(tmp_path, "hkd.toml", '[money]\ncurrency = "HKD"\nper_cny = 1.08\n'))
    kept, _ = applicable_ranges(hkd)
    absolute_cny = [r for r in read_ranges(None) if not r.relative and "CNY" in r.unit]
    assert absolute_cny, "the bundled table has absolute CNY ranges"
    assert not {r.label for r in absolute_cny} & {r.label for r in kept}
    assert {r.label for r in kept} >= {r.label for r in applicable_ranges(load_scenario())[0] if r.relative}
