"""The OpenAPI document as a page to read (``GET /api/v2/docs``), rendered on the server.

The page is made from the document alone: each tag's operations (method, path, summary,
authentication, parameters, body, responses) and each schema's properties, with links between
them and our extensions marked. No script and nothing from elsewhere (the server may have no
internet); its one inline style is allowed by its hash in the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jinja2
from markupsafe import Markup, escape

from journeyline.api.contract import EXTENSION

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem;
  color: #1d2330; }
h2 { border-bottom: 1px solid #ccd; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .3rem; }
code, .method { font-family: ui-monospace, monospace; font-size: .92em; }
.method { display: inline-block; min-width: 4.5rem; font-weight: bold; }
.ext { font-size: .75em; background: #fde8c8; border-radius: .3rem; padding: 0 .35rem; }
table { border-collapse: collapse; margin: .3rem 0 .8rem; }
td, th { border: 1px solid #dde; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f4f8; font-weight: 600; }
nav a { margin-right: .8rem; }
p { margin: .3rem 0; }
""".strip()
#: the style as the page has it (autoescaped), whose hash the policy allows
_HASH = base64.b64encode(hashlib.sha256(str(escape(STYLE)).encode()).digest()).decode()
CSP = "; ".join(
    (
        "default-src 'none'",
        f"style-src 'sha256-{_HASH}'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_REF = "#/components/schemas/"
_BOUNDS = ("format", "minimum", "maximum", "minLength", "maxLength", "pattern")


def type_html(schema: dict[str, Any]) -> Markup:
    """A schema in a few words, a referenced schema as a link to it."""
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(_REF)
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "anyOf" in schema:
        return Markup(" or ").join(type_html(s) for s in schema["anyOf"])
    if "enum" in schema:
        values = (Markup("<code>{}</code>").format(json.dumps(v)) for v in schema["enum"])
        return Markup(" | ").join(values)
    kind = schema.get("type")
    if kind == "array":
        return Markup("array of ") + type_html(schema.get("items", {}))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return Markup("map of ") + type_html(schema["additionalProperties"])
    if kind is None:
        return Markup("any")
    words = escape(kind)
    bounds = [f"{k} {schema[k]}" for k in _BOUNDS if k in schema]
    if bounds:
        words += Markup(" <small>({})</small>").format(", ".join(bounds))
    return words


def _security(requirements: list[dict[str, list[str]]]) -> str:
    if not requirements:
        return "none"
    if "bearer" in requirements[0]:
        return f"a bearer token with {', '.join(requirements[0]['bearer'])}"
    if "client" in requirements[0]:
        return "the client's id and secret (HTTP Basic)"
    return "a deployment's write key (HTTP Basic, or writeKey in the body)"


def _operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    body = next(iter(op.get("requestBody", {}).get("content", {}).items()), None)
    return {
        "id": op["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": op["summary"],
        "description": op.get("description", ""),
        "extension": op.get(EXTENSION, False),
        "security": _security(op["security"]),
        "parameters": [
            (p["name"], p["in"], type_html(p["schema"]), p["required"], p.get("description", ""))
            for p in op.get("parameters", [])
        ],
        "body": (body[0], type_html(body[1]["schema"])) if body else None,
        "responses": [
            (
                status,
                answer["description"],
                [(media, type_html(c["schema"])) for media, c in answer.get("content", {}).items()],
            )
            for status, answer in op["responses"].items()
        ],
    }


def _schema(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", ()))
    return {
        "name": name,
        "description": schema.get("description", ""),
        "type": type_html(schema) if "properties" not in schema else None,
        "closed": schema.get("additionalProperties") is False,
        "properties": [
            (key, type_html(p), key in required, p.get(EXTENSION, False))
            for key, p in schema.get("properties", {}).items()
        ],
    }


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("journeyline.api", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_page(doc: dict[str, Any]) -> str:
    """The page of an OpenAPI document made by ``api.openapi.document``."""
    tags = [
        {
            **tag,
            "operations": [
                _operation(path, method, op)
                for path, item in doc["paths"].items()
                for method, op in item.items()
                if op["tags"][0] == tag["name"]
            ],
        }
        for tag in doc["tags"]
    ]
    schemas = [_schema(name, s) for name, s in doc["components"]["schemas"].items()]
    template = _ENVIRONMENT.get_template("docs.html")
    return template.render(
        info=doc["info"], tags=tags, schemas=schemas, style=STYLE, extension=EXTENSION
    )
