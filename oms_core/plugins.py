"""The only loader: hook plugins through pluggy, drivers through stevedore.

* Hook plugins are modules or objects registered under the entry-point group ``oms`` (the core's own defaults
  too, so nothing in the core is special), plus any passed to ``OMS(plugins=[...])``.
* Drivers are loaded by name from their namespace (``oms.carriers`` …) by :func:`load_driver`, or contributed in
  code through the ``register_drivers`` hook.
* ``OMS_TRACE_HOOKS=1`` in the environment writes every hook call and result to standard error.

Each OMS instance has its own :class:`Plugins`; nothing here is global.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pluggy
from stevedore import DriverManager
from stevedore.exception import NoMatches

from oms_core import hookspecs
from oms_core.domain.errors import ConfigurationError, DriverNotFound, HookFailed, OMSError
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
        load_entry_point_plugins(pm)
    for plugin in plugins:
        pm.register(plugin, name=plugin_name(plugin, pm))
    pm.check_pending()
    if os.environ.get("OMS_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def plugin_name(plugin: object, pm: pluggy.PluginManager) -> str:
    """The name a plugin is known by on timelines and deliveries.

    ``oms_plugin_name`` if it has one, else a module's name, else its class's name (numbered when several
    instances of one class are registered), never a memory address.
    """
    name = getattr(plugin, "oms_plugin_name", None)
    if not isinstance(name, str) or not name:
        name = getattr(plugin, "__name__", None)
    if not isinstance(name, str) or not name:
        name = type(plugin).__name__
    candidate, n = name, 1
    while pm.has_plugin(candidate):
        n += 1
        candidate = f"{name}#{n}"
    return candidate


def load_entry_point_plugins(pm: pluggy.PluginManager) -> None:
    """Register every plugin installed under the entry-point group ``oms``, except blocked ones.

    A plugin that cannot be imported stops start-up with an error naming it: a business rule that silently did
    not load (a fraud check, a credit limit) is worse than an OMS that does not start.
    """
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ConfigurationError(
                f"cannot load the plugin {ep.name!r} ({ep.value}): {type(exc).__name__}: {exc}; "
                f"fix or uninstall it, or pass disable_plugins=[{ep.name!r}]"
            ) from exc
        pm.register(plugin, name=ep.name)


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
            result = call_impl(pm, impl, hook, kwargs)
        except OMSError:
            raise
        except Exception as exc:
            raise HookFailed(impl.plugin_name, hook, exc) from exc
        if result is None:
            continue
        yield impl.plugin_name, result
        if first:
            return


def call_impl(pm: pluggy.PluginManager, impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]) -> Any:
    """Call one implementation with the arguments it asks for.

    The OMS calls implementations one by one (to name the plugin that decided), which bypasses pluggy's own call
    tracing; so this writes the call and its result to the trace that ``OMS_TRACE_HOOKS=1`` switches on.
    """
    args = {name: kwargs[name] for name in impl.argnames}
    trace = pm.trace.root.get("hook")
    trace.root.indent += 1
    try:
        trace(f"{hook} [{impl.plugin_name}]", args)
        result = impl.function(*args.values())
        trace("finish", hook, f"[{impl.plugin_name}] -->", result)
        return result
    finally:
        trace.root.indent -= 1


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


def installed_driver_names(namespace: str) -> list[str]:
    """Names of the drivers installed under ``namespace`` through entry points, without importing them."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=namespace)})


def entry_point_factory(namespace: str, name: str) -> Factory:
    """Import the one driver ``name`` of ``namespace`` (stevedore). A broken driver fails alone, naming itself."""
    try:
        return DriverManager(namespace, name, invoke_on_load=False).driver
    except NoMatches:
        raise DriverNotFound(namespace, name, installed_driver_names(namespace)) from None
    except Exception as exc:
        raise OMSError(f"cannot load the {namespace} driver {name!r}: {type(exc).__name__}: {exc}") from exc


class Drivers:
    """Driver factories by namespace and name, and the drivers built from them (one instance per name).

    Drivers registered in code (``register_drivers`` hook, ``OMS.register_driver``) win over installed ones of
    the same name. Installed drivers are imported only when first used.
    """

    def __init__(self, pm: pluggy.PluginManager, config: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self._config = config
        self._factories: dict[str, dict[str, Factory]] = {ns: {} for ns in NAMESPACES}
        self._built: dict[tuple[str, str], Driver] = {}
        pm.hook.register_drivers(register=self.register)

    def register(self, namespace: str, name: str, factory: Factory) -> None:
        if namespace not in self._factories:
            raise OMSError(f"unknown driver namespace {namespace!r}; use one of {', '.join(NAMESPACES)}")
        self._factories[namespace][name] = factory
        self._built.pop((namespace, name), None)

    def register_configured_reactions(self, pm: pluggy.PluginManager) -> None:
        """Register every *configured* driver whose class has ``@hookimpl`` methods as a hook plugin of its own.

        An ERP adapter that pushes orders, or a carrier that books pick-ups, reacts to events only where it is
        configured (``driver_config``): installing the package alone subscribes nothing, so it costs nothing and
        dead-letters nothing in an OMS that does not use it. The plugin is named after the driver.
        """
        for namespace, drivers in self._config.items():
            for name in drivers:
                try:
                    factory = self._factories.get(namespace, {}).get(name) or entry_point_factory(namespace, name)
                except DriverNotFound:
                    continue  # configured but not installed: reported when it is first used
                if not _has_hookimpls(factory):
                    continue
                if pm.has_plugin(name):
                    raise ConfigurationError(f"the {namespace} driver {name!r} reacts to events, but a plugin of "
                                             "that name is already registered")  # fmt: skip
                pm.register(self.get(namespace, name), name=name)

    def names(self, namespace: str) -> list[str]:
        return sorted(set(installed_driver_names(namespace)) | set(self._factories.get(namespace, {})))

    def get(self, namespace: str, name: str) -> Any:
        key = (namespace, name)
        driver = self._built.get(key)
        if driver is None:
            if namespace not in self._factories:
                raise OMSError(f"unknown driver namespace {namespace!r}; use one of {', '.join(NAMESPACES)}")
            factory = self._factories[namespace].get(name) or entry_point_factory(namespace, name)
            driver = load_driver(namespace, name, {name: factory}, self._config.get(namespace, {}).get(name, {}))
            self._built[key] = driver
        return driver


def _has_hookimpls(factory: Any) -> bool:
    marker = f"{hookspecs.PROJECT}_impl"
    cls = factory if isinstance(factory, type) else type(factory)
    return any(getattr(getattr(cls, attr, None), marker, None) is not None for attr in dir(cls))


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
