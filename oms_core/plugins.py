"""The only loader: hook plugins through pluggy, drivers through stevedore.

* Hook plugins are modules or objects registered under the entry-point group ``oms`` (the core's own defaults
  too, so nothing in the core is special), plus any passed to ``OMS(plugins=[...])``.
* Drivers are loaded by name from their namespace (``oms.carriers`` …) by :func:`load_driver`, or contributed in
  code through the ``register_drivers`` hook.
* ``OMS_TRACE_HOOKS=1`` in the environment writes every hook call and result to standard error.

Each OMS instance has its own :class:`Plugins`; nothing here is global.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pluggy
from stevedore import ExtensionManager

from oms_core import hookspecs
from oms_core.domain.errors import DriverNotFound, HookFailed, OMSError
from oms_core.drivers import NAMESPACES, Driver

ENTRY_POINT_GROUP = "oms"


def create_plugin_manager(
    plugins: Iterable[object] = (), *, load_entry_points: bool = True, disable: Iterable[str] = ()
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in disable:
        pm.set_blocked(name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        name = getattr(plugin, "oms_plugin_name", None) or getattr(plugin, "__name__", None)
        pm.register(plugin, name=name if isinstance(name, str) else None)
    pm.check_pending()
    if os.environ.get("OMS_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def impls(pm: pluggy.PluginManager, hook: str) -> list[pluggy.HookImpl]:
    """The implementations of ``hook`` in call order (pluggy's: last registered, tryfirst/trylast honoured)."""
    return list(reversed(getattr(pm.hook, hook).get_hookimpls()))


def call_each(
    pm: pluggy.PluginManager, hook: str, kwargs: Mapping[str, Any], *, first: bool = False
) -> Iterator[tuple[str, Any]]:
    """Call a decision hook plugin by plugin, yielding ``(plugin_name, result)`` for non-``None`` results.

    Calling each implementation ourselves lets the OMS say which plugin decided. An exception becomes
    :class:`HookFailed` naming the plugin (an ``OMSError`` a rule raises on purpose passes through unchanged).
    With ``first=True`` it stops after the first result.
    """
    for impl in impls(pm, hook):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
        except OMSError:
            raise
        except Exception as exc:
            raise HookFailed(impl.plugin_name, hook, exc) from exc
        if result is None:
            continue
        yield impl.plugin_name, result
        if first:
            return


def plugin_summary(pm: pluggy.PluginManager) -> list[tuple[str, list[str]]]:
    """``(plugin name, [hooks it implements])`` for every registered plugin."""
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append((name, hooks))
    return sorted(out)


Factory = Callable[..., Driver]


def entry_point_drivers(namespace: str) -> dict[str, Factory]:
    """Every driver installed under ``namespace`` through entry points, not yet built."""
    mgr = ExtensionManager(namespace, invoke_on_load=False, on_load_failure_callback=_load_failed)
    return {ext.name: ext.plugin for ext in mgr}


def _load_failed(manager: Any, entrypoint: Any, exc: BaseException) -> None:
    raise OMSError(f"cannot load driver {entrypoint.name!r} from {manager.namespace}: {exc}") from exc


class Drivers:
    """Driver factories by namespace and name, and the drivers built from them (one instance per name)."""

    def __init__(self, pm: pluggy.PluginManager, config: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self._config = config
        self._factories: dict[str, dict[str, Factory]] = {ns: {} for ns in NAMESPACES}
        self._built: dict[tuple[str, str], Driver] = {}
        self._entry_points_loaded: set[str] = set()
        pm.hook.register_drivers(register=self.register)

    def register(self, namespace: str, name: str, factory: Factory) -> None:
        if namespace not in self._factories:
            raise OMSError(f"unknown driver namespace {namespace!r}; use one of {', '.join(NAMESPACES)}")
        self._factories[namespace][name] = factory
        self._built.pop((namespace, name), None)

    def names(self, namespace: str) -> list[str]:
        return sorted(self._all(namespace))

    def _all(self, namespace: str) -> dict[str, Factory]:
        if namespace not in self._entry_points_loaded:
            found = entry_point_drivers(namespace)
            # drivers registered in code win over installed ones of the same name
            self._factories[namespace] = {**found, **self._factories[namespace]}
            self._entry_points_loaded.add(namespace)
        return self._factories[namespace]

    def get(self, namespace: str, name: str) -> Any:
        key = (namespace, name)
        driver = self._built.get(key)
        if driver is None:
            driver = load_driver(namespace, name, self._all(namespace), self._config.get(namespace, {}).get(name, {}))
            self._built[key] = driver
        return driver


def load_driver(namespace: str, name: str, factories: Mapping[str, Factory], config: Mapping[str, Any]) -> Driver:
    """Build the driver ``name`` of ``namespace`` with its configuration. The one place drivers are made."""
    try:
        factory = factories[name]
    except KeyError:
        raise DriverNotFound(namespace, name, sorted(factories)) from None
    driver = factory(**config)
    if not isinstance(driver, Driver):
        raise OMSError(f"{namespace} driver {name!r} is a {type(driver).__name__}, not a Driver subclass")
    driver.name = name
    return driver
