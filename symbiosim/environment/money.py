"""The currency and price year of a scenario's money, and conversion of inherited values.

The bundled catalog states money in CNY at 2023 prices. A scenario may declare its own::

    [money]
    currency = "EUR"      # ISO 4217 code of every money value of this scenario
    price_year = 2023     # the year whose prices the values are
    per_cny = 0.13055     # EUR per CNY (exchange rate x price-index ratio): converts what it inherits

Every money value the scenario inherits in CNY (catalog tables, parameters, a parent
scenario's policies) is multiplied by ``per_cny``; its own tables, parameters and policies
are read as given, in its currency. Money columns keep their names (``price_cny_per_unit``,
``profit_cny``): a run's ``manifest.json`` and the ``unit`` column of its tables say which
currency they hold. A money column is one whose unit in ``data/schema.toml`` names CNY.
"""

import math
import re
from dataclasses import asdict, dataclass

import pandas as pd

from symbiosim.environment.validation import ValidationIssue, schema

__all__ = ["CATALOG_MONEY", "MONEY_KEYS", "Money", "convert_policies", "convert_tables", "label", "read_money"]

MONEY_KEYS = ("currency", "price_year", "per_cny")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MIN_PRICE_YEAR, MAX_PRICE_YEAR = 1700, 2200
MAX_PER_CNY = 1e6  # the weakest currencies trade at about 1e5 per CNY


@dataclass(frozen=True)
class Money:
    """Currency (ISO 4217), price year, and units of the currency per CNY of the catalog."""

    currency: str = "CNY"
    price_year: int = 2023
    per_cny: float = 1.0

    def record(self) -> dict:
        """The fields, for a manifest."""
        return asdict(self)


CATALOG_MONEY = Money()


def _is_money(spec: dict) -> bool:
    return "CNY" in str(spec.get("unit", ""))


def money_columns(table: str) -> list[str]:
    """The columns of a table whose values are money."""
    return [name for name, spec in schema()[table]["columns"].items() if _is_money(spec)]


def read_money(section: object, parent: Money, file: str) -> tuple[Money, list[ValidationIssue]]:
    """The ``[money]`` section of a scenario file (or the parent's money when there is none)."""
    if not isinstance(section, dict):  # absent; or not a table, which check_toml_keys reports
        return parent, []
    issues = [ValidationIssue(file, None, f"money.{k}", f"unknown key (allowed: {', '.join(MONEY_KEYS)})")
              for k in section if k not in MONEY_KEYS]  # fmt: skip
    currency = section.get("currency", parent.currency)
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        issues.append(ValidationIssue(file, None, "money.currency", "must be a three-letter ISO 4217 code, e.g. 'EUR'"))
        currency = parent.currency
    year = section.get("price_year", parent.price_year)
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_PRICE_YEAR <= year <= MAX_PRICE_YEAR:
        rule = f"must be a whole year in {MIN_PRICE_YEAR}-{MAX_PRICE_YEAR}"
        issues.append(ValidationIssue(file, None, "money.price_year", rule))
        year = parent.price_year
    changes = (currency, year) != (parent.currency, parent.price_year)
    if parent != CATALOG_MONEY and (changes or section.get("per_cny", parent.per_cny) != parent.per_cny):
        rule = (f"a scenario can convert only from the catalog's CNY; its parent is already in {parent.currency} of "
                f"{parent.price_year} (per_cny {parent.per_cny:g}): leave [money] out or repeat the parent's")  # fmt: skip
        return parent, [*issues, ValidationIssue(file, None, "money", rule)]
    per_cny = section.get("per_cny")
    if per_cny is None:
        if changes and parent == CATALOG_MONEY:
            rule = f"required when currency or price year differ from the inherited {parent.currency} of {parent.price_year}"
            issues.append(ValidationIssue(file, None, "money.per_cny", f"{rule}: {currency} per CNY"))
        per_cny = parent.per_cny
    elif not isinstance(per_cny, int | float) or isinstance(per_cny, bool) or not math.isfinite(per_cny):
        issues.append(ValidationIssue(file, None, "money.per_cny", "must be a finite number"))
        per_cny = parent.per_cny
    elif not 0 < per_cny <= MAX_PER_CNY:
        issues.append(ValidationIssue(file, None, "money.per_cny", f"{per_cny:g} is outside (0, {MAX_PER_CNY:g}]"))
        per_cny = parent.per_cny
    if currency == "CNY" and year == CATALOG_MONEY.price_year and per_cny != 1.0:
        issues.append(ValidationIssue(file, None, "money.per_cny", "must be 1 for CNY at the catalog's 2023 prices"))
    return Money(currency, int(year), float(per_cny)), issues


def convert_tables(tables: dict[str, pd.DataFrame], factor: float) -> dict[str, pd.DataFrame]:
    """Every money value of the tables multiplied by ``factor`` (copies; blanks stay blank)."""
    converted = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in money_columns(name) if name in schema() else []:
            if column in frame:
                frame[column] = frame[column].map(lambda v: v * factor if isinstance(v, int | float) and not isinstance(v, bool) else v)
        if name == "parameters" and len(frame):
            money = frame["name"].isin(_money_parameters(frame))
            frame.loc[money, "value"] = frame.loc[money, "value"].map(lambda v: v * factor if isinstance(v, float) else v)
        converted[name] = frame
    return converted


def convert_parameters(parameters: dict[str, float], table: pd.DataFrame, factor: float) -> dict[str, float]:
    """The money parameters (unit names CNY in the parameters table) multiplied by ``factor``."""
    money = _money_parameters(table)
    return {k: v * factor if k in money else v for k, v in parameters.items()}


def _money_parameters(table: pd.DataFrame) -> set[str]:
    """The parameters whose unit (parameters table) names CNY."""
    return set(table.loc[table["unit"].astype(str).str.contains("CNY"), "name"])


def convert_policies(policies: list[dict], factor: float) -> list[dict]:
    """Policies with their money settings (units naming CNY in the schema) multiplied by ``factor``."""
    types = schema()["policy_types"]
    converted = []
    for policy in policies:
        fields = types.get(policy.get("type"), {})
        converted.append({k: v * factor if _is_money(fields.get(k, {})) and isinstance(v, int | float) else v
                          for k, v in policy.items()})  # fmt: skip
    return converted


def label(text: str, money: Money) -> str:
    """A unit or label with CNY replaced by the scenario's currency (unchanged for CNY).

    >>> label("M CNY/yr", Money("EUR", 2023, 0.13))
    'M EUR/yr'
    """
    return text if money.currency == "CNY" else text.replace("CNY", money.currency)
