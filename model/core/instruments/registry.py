"""The instrument registry: the one list of instruments, from which everything else is derived.

An instrument is a module in ``propeller.core.instruments`` whose :class:`~propeller.core.instruments.base.Instrument`
subclass carries ``@register``; the package imports each of its modules (:func:`discover`), so writing the module is
all that registration takes. The class declares what the rest of the code reads:

- ``name``: the key in ``[instruments.<name>]`` and ``hubs.<hub>.instruments.<name>`` of the scenario, the output
  column ``runs_<name>`` and the dashboard's slider argument (a lower-case Python identifier);
- ``label`` / ``label_nl``: what it is called mid-sentence in English (dashboard, docs) and in Dutch (the report);
  :func:`heading` capitalises it for sliders and table headers;
- ``category``: its Table 3.2 row (persons counted there), or None; rows are listed in month order of their first
  instrument (:func:`categories`);
- ``order``: its place within a hub's month (ascending, unique) - the order of the random draws;
- ``PARAMS``: the keys it requires under ``[instruments.<name>]`` (uncalibrated_defaults.toml is the schema: each key there with
  a source or "assumption", and the loader's range rules by name, e.g. ``p_*`` in [0, 1]).

The model builds its instruments with :func:`build`, which refuses a scenario that lacks a registered
instrument's parameters. A test or a notebook registers an instrument for a while with ``with registered(Toy):``
(the package itself is untouched; its parameters come from ``Scenario.extended``); docs/extending.md walks
through adding one.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any

from propeller.core.instruments.base import Instrument

_REGISTRY: dict[str, type[Instrument]] = {}
_NOT_INSTRUMENTS = ("base", "registry")  # the package's modules that define no instrument
_BASE_PARAMS = ("intensity_gain", "cost", "staff_days")  # what Instrument.__init__ reads from every instrument's PARAMS


class RegistryError(ValueError):
    """An instrument class that cannot be registered, or a scenario without an instrument's parameters."""


def _problems(cls: Any) -> list[str]:
    if not (isinstance(cls, type) and issubclass(cls, Instrument)) or cls is Instrument:
        return ["is not a subclass of propeller.core.instruments.base.Instrument"]
    out = []
    name = cls.name
    if not (isinstance(name, str) and name.isidentifier() and name == name.lower() and not name.startswith("_")):
        out.append(f"name {name!r}: expected a lower-case Python identifier (scenario key, column runs_<name>, "
                   "dashboard argument)")
    if not isinstance(cls.order, int) or isinstance(cls.order, bool):
        out.append(f"order {cls.order!r}: expected an integer (its place within a hub's month)")
    for attr in ("label", "label_nl"):
        if not (isinstance(getattr(cls, attr), str) and getattr(cls, attr).strip()):
            out.append(f"{attr}: expected a non-empty string")
    if not (cls.category is None or (isinstance(cls.category, str) and cls.category.isidentifier())):
        out.append(f"category {cls.category!r}: expected None or a Table 3.2 row name (an identifier)")
    if not (isinstance(cls.PARAMS, tuple) and all(isinstance(k, str) and k for k in cls.PARAMS)):
        out.append("PARAMS: expected a tuple of parameter names")
    elif not set(_BASE_PARAMS) <= set(cls.PARAMS):
        out.append(f"PARAMS: expected {', '.join(_BASE_PARAMS)} among them (read by Instrument.__init__)")
    return out


def register(cls: type[Instrument]) -> type[Instrument]:
    """Register an instrument class (a class decorator; returns the class). Registering the same class again is a
    no-op; another class with a registered name or order is refused (:class:`RegistryError`)."""
    problems = _problems(cls)
    if problems:
        raise RegistryError(f"instrument {getattr(cls, '__qualname__', cls)!r}: " + "; ".join(problems))
    if _REGISTRY.get(cls.name) is cls:
        return cls
    if cls.name in _REGISTRY:
        raise RegistryError(f"instrument {cls.__qualname__}: name {cls.name!r} is already registered "
                            f"({_REGISTRY[cls.name].__qualname__})")
    clash = [c for c in _REGISTRY.values() if c.order == cls.order]
    if clash:
        raise RegistryError(f"instrument {cls.__qualname__}: order {cls.order} is taken by {clash[0].name!r}; "
                            f"the month order must be unambiguous (taken: {sorted(c.order for c in _REGISTRY.values())})")
    _REGISTRY[cls.name] = cls
    _changed()
    return cls


def unregister(cls_or_name: type[Instrument] | str) -> None:
    """Remove an instrument (by class or name) from the registry."""
    name = cls_or_name if isinstance(cls_or_name, str) else cls_or_name.name
    if name not in _REGISTRY or not (isinstance(cls_or_name, str) or _REGISTRY[name] is cls_or_name):
        raise RegistryError(f"instrument {name!r} is not registered")
    del _REGISTRY[name]
    _changed()


def _changed() -> None:
    """The output columns per instrument and per Table 3.2 category follow the registry."""
    from propeller.core import outputs

    outputs.refresh()


@contextlib.contextmanager
def registered(*classes: type[Instrument]) -> Iterator[tuple[type[Instrument], ...]]:
    """Register ``classes`` for the duration of a ``with`` block, then unregister them (also on an error)."""
    done: list[type[Instrument]] = []
    try:
        for cls in classes:
            if get(cls.name, None) is not cls:
                register(cls)
                done.append(cls)
        yield classes
    finally:
        for cls in reversed(done):
            unregister(cls)


def discover() -> None:
    """Import every module of the package: each registers its instruments (``@register``) as it is defined."""
    import propeller.core.instruments as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_INSTRUMENTS:
            importlib.import_module(f"{package.__name__}.{info.name}")


# ---------------------------------------------------------------------------------------------- derived lists
def instruments() -> tuple[type[Instrument], ...]:
    """The registered instrument classes in month order."""
    return tuple(sorted(_REGISTRY.values(), key=lambda c: c.order))


def names() -> tuple[str, ...]:
    """Registered instrument names in month order (``runs_<name>``, ``hubs.<hub>.instruments.<name>``)."""
    return tuple(c.name for c in instruments())


def get(name: str, *default: Any) -> type[Instrument]:
    """The registered class of ``name`` (or ``default`` if given and ``name`` is not registered)."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if default:
        return default[0]
    raise RegistryError(f"no instrument {name!r}; registered: {', '.join(names())}")


def categories(classes: tuple[type[Instrument], ...] | None = None) -> tuple[str, ...]:
    """Table 3.2 rows, each once, in month order of their first instrument (instruments without one left out)."""
    cats = [c.category for c in (instruments() if classes is None else classes) if c.category is not None]
    return tuple(dict.fromkeys(cats))


def label(name: str, lang: str = "en") -> str:
    """What instrument ``name`` is called mid-sentence: English (``en``) or Dutch (``nl``)."""
    cls = get(name)
    if lang not in ("en", "nl"):
        raise ValueError(f"lang: expected 'en' or 'nl', got {lang!r}")
    return cls.label if lang == "en" else cls.label_nl


def heading(name: str, lang: str = "en") -> str:
    """The label with a capital first letter (sliders, table headers)."""
    text = label(name, lang)
    return text[:1].upper() + text[1:]


def parameter_keys(cls: type[Instrument]) -> tuple[str, ...]:
    """The dotted scenario keys an instrument requires: ``instruments.<name>.<param>`` for each of its PARAMS."""
    return tuple(f"instruments.{cls.name}.{k}" for k in cls.PARAMS)


def missing_parameters(params: Mapping[str, Any], classes: tuple[type[Instrument], ...] | None = None) -> list[str]:
    """Required keys of the registered instruments that ``params`` lacks."""
    return [k for cls in (instruments() if classes is None else classes) for k in parameter_keys(cls) if k not in params]


def build(params: Mapping[str, Any], classes: tuple[type[Instrument], ...] | None = None) -> list[Instrument]:
    """The instruments of a run, in month order, set up from the scenario's ``params``."""
    classes = instruments() if classes is None else classes
    missing = missing_parameters(params, classes)
    if missing:
        raise RegistryError("the scenario lacks parameters of registered instruments: " + ", ".join(missing)
                            + " (add them to scenarios/uncalibrated_defaults.toml under [instruments.<name>], with a source or "
                            "'assumption'; see docs/extending.md)")
    return [cls(params) for cls in classes]
