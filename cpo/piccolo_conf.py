"""The configuration module Piccolo's migration tooling looks for (PICCOLO_CONF).

The engine is not built at import: the application binds its own through `use_engine`, and
Piccolo's command line (`piccolo migrations new cpo --auto`) gets one built from
DATABASE_URL on first access.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["cpo.piccolo_app"])

_engine: Any = None


def use_engine(engine: Any) -> None:
    global _engine
    _engine = engine


def __getattr__(name: str) -> Any:
    global _engine
    if name != "DB":
        raise AttributeError(name)
    if _engine is None:
        from cpo.database import create_engine
        from cpo.settings import settings_from_env

        _engine = create_engine(settings_from_env().database_url)
    return _engine
