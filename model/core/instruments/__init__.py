"""Hub instruments, one module each; ``registry`` lists them (their ``order`` fixes their order within a month).

Importing the package imports every module in it, and each module's ``@register`` adds its instrument: a new
instrument is a new module here plus its parameters in scenarios/uncalibrated_defaults.toml (docs/extending.md).
"""

from propeller.core.instruments import registry
from propeller.core.instruments.registry import (
    RegistryError,
    build,
    categories,
    get,
    heading,
    instruments,
    label,
    names,
    register,
    registered,
    unregister,
)

registry.discover()


__all__ = ["RegistryError", "build", "categories", "get", "heading", "instruments", "label", "names", "register",
           "registered", "registry", "unregister"]
