"""Rendering the service's HTML pages from the Jinja2 templates in ``api/templates``.

    render("landing.html", links=links, overview=overview)   # -> str

Autoescaping is on for every template, so text from the store can never become
markup; the templates get plain values (views built in Python), never HTML. Two
helpers are available in every template:

    {{ vendor("vega.min.js") }}     the URL path of a vendored file (api/static/vendor)
    {{ static("js/charts.js") }}    the URL path of one of the service's own static files

The page layout (header, navigation, footer, style sheet) is ``base.html``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from mipex_kg import __version__

STATIC_PATH = "/static"

#: The import map of the charts: Vega's expression interpreter (an ES module, so the
#: pages need no ``eval``) imports 'vega-util', which the loaded Vega bundle provides.
IMPORT_MAP = json.dumps({"imports": {
    "vega-util": f"{STATIC_PATH}/js/vega-util.js",
    "vega-interpreter": f"{STATIC_PATH}/vendor/vega-interpreter@2.3.2/vega-interpreter.js",
}})
#: Its hash, for the Content-Security-Policy (the one inline script the pages have).
IMPORT_MAP_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()


@cache
def vendored_files() -> dict[str, str]:
    """File name -> its path under /static/vendor, from the vendoring manifest."""
    manifest = resources.files("mipex_kg.api").joinpath("static/vendor/manifest.json")
    rows = json.loads(manifest.read_text(encoding="utf-8"))
    return {row["file"].rsplit("/", 1)[1]: row["file"] for row in rows}


def vendor(name: str) -> str:
    """The URL path of the vendored file called ``name`` (KeyError when it is not vendored)."""
    return f"{STATIC_PATH}/vendor/{vendored_files()[name]}"


def static(path: str) -> str:
    """The URL path of one of the service's own static files (versioned against stale caches)."""
    return f"{STATIC_PATH}/{path}?v={__version__}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("mipex_kg.api", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(vendor=vendor, static=static, version=__version__, import_map=IMPORT_MAP)
    return env


def render(template: str, **context: Any) -> str:
    """The page ``template`` rendered with ``context``."""
    return environment().get_template(template).render(**context)
