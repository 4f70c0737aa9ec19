"""The ``/docs`` page of ``pypwext serve``: the OpenAPI document as one self-contained HTML page
(no scripts, no CDN): every operation with its parameters, body, responses and a ``curl`` line
to try, then every schema."""

from __future__ import annotations

import html
import json
import shlex
from typing import Any

__all__ = ["example", "render"]

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.op{border:1px solid #ddd;border-radius:6px;margin:1.2em 0;padding:.2em 1em 1em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;color:#fff;border-radius:4px;padding:0 .4em;
text-align:center}.GET{background:#2a7}.POST{background:#27c}.PUT{background:#c82}.PATCH{background:#a6c}
.DELETE{background:#c33}pre{background:#f6f6f6;padding:.6em;overflow:auto;border-radius:4px}
code{background:#f2f2f2;padding:0 .2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;
padding:.2em .6em;text-align:left;vertical-align:top}.muted{color:#777}
.notice{background:#fff6d6;border:1px solid #e6c200;border-radius:4px;padding:.5em .8em}
"""


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        found: dict[str, Any] = doc["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
        return found
    return schema


def example(schema: dict[str, Any], doc: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value of ``schema`` (for the curl lines): defaults, first enum values, one
    item per array, required properties only."""
    schema = _resolve(schema, doc)
    if depth > 6:
        return None
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return example(schema[key][0], doc, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    fmt = schema.get("format")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {name: example(props[name], doc, depth + 1) for name in required if name in props}
    if kind == "array":
        return [example(schema.get("items", {}), doc, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5 if fmt != "decimal" else "1.50"
    if kind == "boolean":
        return True
    if kind == "string":
        return {
            "date-time": "2024-01-02T03:04:05Z",
            "date": "2024-01-02",
            "uuid": "00000000-0000-4000-8000-000000000000",
            "decimal": "1.50",
        }.get(fmt or "", "text")
    return None


def _curl(base: str, path: str, method: str, op: dict[str, Any], doc: dict[str, Any]) -> str:
    url_path = path
    query = []
    for param in op.get("parameters", []):
        value = example(param.get("schema", {}), doc)
        if param["in"] == "path":
            url_path = url_path.replace("{" + param["name"] + "}", str(value))
        elif param["in"] == "query" and param.get("required"):
            query.append(f"{param['name']}={value}")
    url = base + url_path + ("?" + "&".join(query) if query else "")
    parts = ["curl", "-i"]
    if method != "get":
        parts += ["-X", method.upper()]
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        parts += ["-H", "Content-Type: application/json", "-d", json.dumps(example(body["schema"], doc))]
    parts.append(url)
    return " ".join(shlex.quote(p) for p in parts)


def _pre(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=2))}</pre>"


def render(
    doc: dict[str, Any], base: str, functions: list[dict[str, Any]] | None = None, notice: str | None = None
) -> str:
    """The HTML page for ``doc``; ``base`` is the server's URL (for the curl lines); ``notice``
    a line shown under the title."""
    e = html.escape
    info = doc.get("info", {})
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(info.get('title', 'API'))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(info.get('title', 'API'))}</h1>",
        f"<p class='muted'>version {e(str(info.get('version', '')))} · "
        f"<a href='/openapi.json'>openapi.json</a> · served by <code>pypwext serve</code> at {e(base)}</p>",
    ]
    if notice:
        out.append(f"<p class='notice'>{e(notice)}</p>")
    out.append("<h2>Operations</h2>")
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            out.append("<div class='op'>")
            out.append(
                f"<h3><span class='m {method.upper()}'>{method.upper()}</span> <code>{e(path)}</code> "
                f"<span class='muted'>{e(op.get('operationId', ''))}</span></h3>"
            )
            if op.get("summary"):
                out.append(f"<p>{e(op['summary'])}</p>")
            if op.get("description"):
                out.append(f"<p>{e(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                out.append("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>")
                for p in params:
                    out.append(
                        f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td>"
                        f"<td>{'yes' if p.get('required') else 'no'}</td>"
                        f"<td><code>{e(json.dumps(p.get('schema', {})))}</code></td></tr>"
                    )
                out.append("</table>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                out.append("<p>Request body (application/json):</p>" + _pre(body["schema"]))
            out.append("<p>Responses:</p><table>")
            for status, response in op["responses"].items():
                content = response.get("content", {})
                shown = (
                    ", ".join(f"{ctype} {json.dumps(c.get('schema', {}))}" for ctype, c in content.items())
                    or "no body"
                )
                out.append(
                    f"<tr><td><b>{e(status)}</b></td><td>{e(response.get('description', ''))}</td>"
                    f"<td><code>{e(shown)}</code></td></tr>"
                )
            out.append("</table>")
            out.append("<p>Try it:</p><pre>" + e(_curl(base, path, method, op, doc)) + "</pre>")
            out.append("</div>")
    if functions:
        out.append(
            "<h2>Invoke API</h2><p>Each function answers <code>POST "
            f"{e(base)}/2015-03-31/functions/<i>name</i>/invocations</code>:</p><ul>"
        )
        for f in functions:
            out.append(
                f"<li><code>{e(' / '.join(f['names']))}</code> <span class='muted'>{e(f['kind'])}</span></li>"
            )
        out.append("</ul>")
    out.append("<h2>Schemas</h2>")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        out.append(f"<h3 id='{e(name)}'>{e(name)}</h3>" + _pre(schema))
    out.append("</body></html>")
    return "\n".join(out)
