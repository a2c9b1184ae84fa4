"""Dimensions in the words a clinician reads: "a concentration such as mg/dL", not "mass·length^-3".

``dimension_words(dims)`` names a dimension with an article and an example unit; a dimension with no
name here is "a quantity such as UNIT" (the unit the author wrote, when known) or, lacking that, "a
quantity measured in mass·length^-2"-style words from :func:`~.units.dimension_name`.
"""

from __future__ import annotations

from .units import BASE_DIMENSIONS, Dims, dimension_name


def _d(**exponents: int) -> Dims:
    return tuple(exponents.get(name, 0) for name in BASE_DIMENSIONS)


# fmt: off
_WORDS: dict[Dims, str] = {
    _d(): "a number",
    _d(mass=1): "a mass such as mg or kg",
    _d(length=1): "a length such as cm",
    _d(length=2): "an area such as m2",
    _d(length=3): "a volume such as mL",
    _d(time=1): "a duration such as days",
    _d(calendar=1): "a duration such as months",
    _d(time=-1): "a frequency such as /day",
    _d(amount=1): "an amount of substance such as mmol",
    _d(iu=1): "an amount in international units such as [iU]",
    _d(enzyme=1): "an enzyme activity such as U",
    _d(percent=1): "a percentage such as %",
    _d(pressure=1): "a pressure such as mm[Hg]",
    _d(mass=1, time=-1): "a dose rate such as mg/day",
    _d(mass=1, length=-3): "a concentration such as mg/dL",
    _d(amount=1, length=-3): "a concentration such as mmol/L",
    _d(iu=1, length=-3): "a concentration such as [iU]/L",
    _d(enzyme=1, length=-3): "an enzyme activity per volume such as U/L",
    _d(length=3, time=-1): "a flow such as mL/min",
    _d(mass=1, length=-2): "a body-mass index such as kg/m2",
    _d(mass=-1): "an amount per mass such as /kg",
    _d(length=-3): "a count per volume such as /L",
    _d(mass=1, length=-2, time=-1): "a dose per body area and time such as mg/m2/day",
}
# fmt: on


def dimension_words(dims: Dims | None, unit: str | None = None) -> str:
    """A noun phrase for a dimension, with its article: "a concentration such as mg/dL"."""
    if dims is None:
        return "a quantity"
    words = _WORDS.get(tuple(dims))
    if words is not None:
        return words
    if unit:
        return f"a quantity such as {unit}"
    return f"a quantity measured in {dimension_name(dims)}"
