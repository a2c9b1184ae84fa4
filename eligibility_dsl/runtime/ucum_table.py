"""The units the engine understands: UCUM atoms with their exact definitions, and the clinical aliases.

Source: UCUM, "The Unified Code for Units of Measure", ucum-essence.xml version 2.2 (revision date
2024-06-17), https://github.com/ucum-org/ucum (file ``ucum-essence.xml``, commit d060c6d3); the grammar
is the UCUM specification §§1-7 (https://ucum.org/ucum). Each factor below is the essence file's
``<value>`` reduced to this engine's base units, as an exact Fraction, with the definition quoted
in the comment. docs/units.md has the table in words.

Base units (one per dimension of ``units.BASE_DIMENSIONS``): gram, metre, second, mole, calendar month,
international unit, enzyme unit (UCUM ``U`` = umol/min), percent, millimetre of mercury (``mm[Hg]``),
arbitrary unit (``[arb'U]``). Three of these are *not* UCUM's reductions, on purpose:

* UCUM reduces ``U`` to ``umol/min`` and ``[iU]``/``[arb'U]``/``%`` to the number 1; here each keeps a
  dimension of its own so that `50 %` never equals `0.5`, IU never converts into mass and enzyme
  activity per litre never compares with a molar flow by accident. Within each, UCUM's factors hold
  exactly (``kat`` = mol/s = 6e7 U; ``[IU]`` = ``[iU]``).
* UCUM's ``mo`` and ``a`` are average lengths in seconds; calendar months and years are their own
  dimension here (see units.py), and ``mo``/``a`` are refused with a hint.
* pressure is kept in mm[Hg] (UCUM: ``m[Hg]`` = 133.3220 kPa, so ``Pa`` = 1/133.3220 mm[Hg] exactly).

Prefixes: every atom UCUM marks ``isMetric="yes"`` takes every UCUM prefix (``METRIC``); the others do
not (``NON_METRIC``). ``ALIASES`` are spellings clinicians and systems send that are not UCUM; they are
accepted (a record in `mmHg` or `mcg` is read), and ``UCUM_SPELLING`` names the UCUM form for each, for
help texts. ``SUGGESTIONS`` are common non-UCUM spellings that are *not* accepted, with the UCUM
spelling to suggest.
"""

from __future__ import annotations

from fractions import Fraction

F = Fraction

# UCUM prefixes (ucum-essence.xml <prefix>): code -> exact factor.
PREFIXES: dict[str, Fraction] = {
    "Y": F(10) ** 24, "Z": F(10) ** 21, "E": F(10) ** 18, "P": F(10) ** 15, "T": F(10) ** 12, "G": F(10) ** 9,
    "M": F(10) ** 6, "k": F(10) ** 3, "h": F(10) ** 2, "da": F(10), "d": F(1, 10), "c": F(1, 100),
    "m": F(1, 10**3), "u": F(1, 10**6), "n": F(1, 10**9), "p": F(1, 10**12), "f": F(1, 10**15),
    "a": F(1, 10**18), "z": F(1, 10**21), "y": F(1, 10**24),
}
# Not UCUM but what documents contain: MICRO SIGN and GREEK SMALL LETTER MU for `u`.
PREFIX_ALIASES: dict[str, str] = {"µ": "u", "μ": "u"}

_LITRE = F(1, 1000)  # m3 (UCUM: l = dm3)
_PA = F(10000, 1333220)  # mm[Hg] per Pa (UCUM: m[Hg] = 133.3220 kPa)
_INCH = F(254, 10000)  # m (UCUM: [in_i] = 254e-2 cm)
_GRAIN = F(6479891, 100000000)  # g (UCUM: [gr] = 64.79891 mg)
_POUND = 7000 * _GRAIN  # g (UCUM: [lb_av] = 7000 [gr])
_GALLON_US = 231 * _INCH**3  # m3 (UCUM: [gal_us] = 231 [in_i]3)

# (dimension name -> exponent, exact factor to the base units). Dimension names are those of
# units.BASE_DIMENSIONS.
# fmt: off
METRIC: dict[str, tuple[dict[str, int], Fraction]] = {
    "g":      ({"mass": 1}, F(1)),                          # base unit
    "m":      ({"length": 1}, F(1)),                        # base unit
    "s":      ({"time": 1}, F(1)),                          # base unit
    "mol":    ({"amount": 1}, F(1)),                        # 6.0221367e23 (a count; the base here)
    "l":      ({"length": 3}, _LITRE),                      # dm3
    "L":      ({"length": 3}, _LITRE),                      # l
    "eq":     ({"amount": 1}, F(1)),                        # mol (UCUM: equivalents = mol)
    "osm":    ({"amount": 1}, F(1)),                        # mol (UCUM: osmole = mol)
    "U":      ({"enzyme": 1}, F(1)),                        # umol/min (its own dimension here)
    "kat":    ({"enzyme": 1}, F(60 * 10**6)),               # mol/s = 6e7 umol/min
    "[iU]":   ({"iu": 1}, F(1)),                            # international unit (arbitrary)
    "[IU]":   ({"iu": 1}, F(1)),                            # [iU]
    "Pa":     ({"pressure": 1}, _PA),                       # N/m2
    "bar":    ({"pressure": 1}, 10**5 * _PA),               # 1e5 Pa
    "m[Hg]":  ({"pressure": 1}, F(1000)),                   # 133.3220 kPa
    "m[H2O]": ({"pressure": 1}, F(980665, 100) * _PA),      # 980665e-5 kPa
}

NON_METRIC: dict[str, tuple[dict[str, int], Fraction]] = {
    "min":        ({"time": 1}, F(60)),                     # 60 s
    "h":          ({"time": 1}, F(3600)),                   # 60 min
    "d":          ({"time": 1}, F(86400)),                  # 24 h
    "wk":         ({"time": 1}, F(7 * 86400)),              # 7 d
    "%":          ({"percent": 1}, F(1)),                   # 10*-2 (its own dimension here)
    "[ppth]":     ({}, F(1, 10**3)),                        # 10*-3
    "[ppm]":      ({}, F(1, 10**6)),                        # 10*-6
    "[ppb]":      ({}, F(1, 10**9)),                        # 10*-9
    "[pi]":       ({}, F(314159265358979323846264338327950288, 10**35)),  # pi, to 36 digits
    "[in_i]":     ({"length": 1}, _INCH),                   # 254e-2 cm
    "[ft_i]":     ({"length": 1}, 12 * _INCH),              # 12 [in_i]
    "[yd_i]":     ({"length": 1}, 36 * _INCH),              # 3 [ft_i]
    "[mi_i]":     ({"length": 1}, 5280 * 12 * _INCH),       # 5280 [ft_i]
    "[gr]":       ({"mass": 1}, _GRAIN),                    # 64.79891 mg
    "[lb_av]":    ({"mass": 1}, _POUND),                    # 7000 [gr]
    "[oz_av]":    ({"mass": 1}, _POUND / 16),               # [lb_av]/16
    "[stone_av]": ({"mass": 1}, 14 * _POUND),               # 14 [lb_av]
    "[gal_us]":   ({"length": 3}, _GALLON_US),              # 231 [in_i]3
    "[qt_us]":    ({"length": 3}, _GALLON_US / 4),          # [gal_us]/4
    "[pt_us]":    ({"length": 3}, _GALLON_US / 8),          # [qt_us]/2
    "[foz_us]":   ({"length": 3}, _GALLON_US / 128),        # [gil_us]/4, [gil_us] = [pt_us]/4
    "[tbs_us]":   ({"length": 3}, _GALLON_US / 256),        # [foz_us]/2
    "[tsp_us]":   ({"length": 3}, _GALLON_US / 768),        # [tbs_us]/3
    "[drp]":      ({"length": 3}, _LITRE / 1000 / 20),      # ml/20
    "[arb'U]":    ({"arbitrary": 1}, F(1)),                 # arbitrary unit (its own dimension)
    "g%":         ({"mass": 1, "length": -3}, F(1) / (_LITRE / 10)),  # g/dl
    "atm":        ({"pressure": 1}, 101325 * _PA),          # 101325 Pa
    "[in_i'Hg]":  ({"pressure": 1}, 1000 * _INCH),          # m[Hg].[in_i]/m
}

# Accepted spellings that are not UCUM, each with its UCUM form (the form is parsed for its value, so
# the two can never disagree). Natural-language durations are the language's own words (`28 days`).
ALIASES: dict[str, str] = {
    "mcg": "ug", "µg": "ug", "μg": "ug", "ml": "mL", "dl": "dL", "µm": "um", "μm": "um",
    "sec": "s", "second": "s", "seconds": "s", "minute": "min", "minutes": "min",
    "hr": "h", "hour": "h", "hours": "h", "day": "d", "days": "d", "week": "wk", "weeks": "wk",
    "mEq": "meq", "IU": "[IU]", "mIU": "m[IU]", "kIU": "k[IU]", "uIU": "u[IU]", "µIU": "u[IU]",
    "mmHg": "mm[Hg]", "[mm_Hg]": "mm[Hg]", "cmH2O": "cm[H2O]", "mmH2O": "mm[H2O]",
}
# Aliases that take prefixes like the UCUM atom they stand for (`uIU/mL` is common for TSH).
PREFIXABLE_ALIASES = ("IU",)

# Spellings sites send that are refused (ambiguous or not units at all), with the UCUM spelling.
SUGGESTIONS: dict[str, str] = {
    "cc": "mL", "lb": "[lb_av]", "lbs": "[lb_av]", "oz": "[oz_av]", "in": "[in_i]", "inch": "[in_i]",
    "ft": "[ft_i]", "feet": "[ft_i]", "stone": "[stone_av]", "mg%": "mg/dL", "units": "U", "unit": "U",
    "Units": "U", "iu": "[IU]", "mmhg": "mm[Hg]", "MMHG": "mm[Hg]", "cmh2o": "cm[H2O]", "kpa": "kPa",
    "copies": "{copies}", "cells": "{cells}", "x10^9": "10*9", "x10*9": "10*9", "K": "10*3",
    "mu": "u", "gm": "g", "gms": "g", "mgs": "mg", "hrs": "h", "mins": "min", "wks": "wk",
    "pct": "%", "percent": "%", "ppm": "[ppm]", "ratio": "1", "AU": "[arb'U]", "arb'U": "[arb'U]",
    "°C": "Cel", "degC": "Cel", "°F": "[degF]", "degF": "[degF]", "in_i": "[in_i]", "lb_av": "[lb_av]",
}
# fmt: on
