"""Routes: the W3C Entity Reconciliation API over our entities (what OpenRefine speaks).

Two services over the same matching (``web/reconcile_service.py``):

Version 0.2 (with 0.1's single ``query``), endpoint ``/reconcile``, the one to add in OpenRefine
as a "standard service":

- ``GET /reconcile``: the service manifest; ``?queries=`` / ``POST`` (form field ``queries``,
  or a JSON body) a batch ``{"q0": {...}, ...}``; ``?query=`` a single 0.1 query;
  ``?extend=`` / POST ``extend``: data extension.
- ``GET /reconcile/suggest/entity|type|property?prefix=&cursor=`` (auto-completion),
  ``GET /reconcile/flyout/entity?id=`` (a small HTML preview as JSON, for the suggest widget),
  ``GET /reconcile/preview?id=`` (an HTML card made to sit in OpenRefine's iframe),
  ``GET /reconcile/extend/propose?type=`` (the properties worth fetching for a type).
- JSONP for the older clients: ``callback=`` on any GET, validated as a plain JavaScript
  identifier path (``jQuery123_456``, ``a.b``) and anything else refused (400).

The 1.0 draft (the community group's current text), endpoint ``/reconcile/1.0-draft``:
``GET`` manifest, ``POST /reconcile`` JSON ``{"queries": [...]}`` with ``conditions``,
``/suggest/*``, ``/preview``, ``POST /extend``, ``/extend/propose`` below it. The draft drops
JSONP: its manifest, reconciliation, extension and proposals never wrap (its suggest routes are
the 0.2 ones, callback and all). CORS, which both versions require, comes from the app's
middleware for every route.

Entity ids are the part of our IRIs after ``{base}id/`` (``camp/taishet``; identifierSpace is
``{base}id/``), full IRIs accepted on input; type and property ids are IRIs (CURIEs such as
``schema:City`` and short type names such as ``camp`` accepted). The view template points at
this server's own entity pages (``/id/...``, which answer 303 to HTML for browsers).

The URLs of the sub-services in the manifest are absolute, as OpenRefine needs (it puts the
preview URL in an iframe and calls the suggest URLs itself), so they are built from the address
the client used to reach this server (checked to be a plain host[:port]); identifiers and the
identifier space come from the configured base only, never from the request.

Errors are JSON ``{"status": N, "error": "..."}``: 400 malformed input (bad JSON, a field of
the wrong type, an unknown type or property id), 413 a batch over ``MAX_BATCH`` queries or a
body over the server's limit, 415 a body that is neither form-encoded nor JSON, 404 an unknown
entity in preview and flyout.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ... import __version__
from .. import reconcile_service as rs
from ..paths import path_for_iri

NAME = "siberia-kg: Japanese prisoners of war and internees in the USSR and Mongolia, 1945-1956"
SCHEMA_SPACE = "https://w3id.org/siberia-kg/ontology#"
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 260
LANGS = ("en", "ja", "ru")
LANG_NAMES = {"en": "English", "ja": "Japanese", "ru": "Russian"}
MAX_PROPOSE = 100
MAX_CALLBACK = 128

_CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*"
                   r"|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")
# The preview is made to be framed by other origins (OpenRefine runs on its own port): it says
# so with frame-ancestors, which browsers obey over the X-Frame-Options the server adds.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
               "frame-ancestors *; base-uri 'none'; form-action 'none'")


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------

def _dumps(data: Any) -> str:
    # U+2028/2029 are valid in JSON but end a line in older JavaScript: escape them for JSONP.
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _callback(request: Request) -> str | None:
    cb = request.query_params.get("callback")
    if cb is None:
        return None
    if len(cb) > MAX_CALLBACK or not _CALLBACK.fullmatch(cb):
        raise HttpError(400, "the callback parameter must be a JavaScript function name: letters, "
                             "digits, _ and $, optionally dotted (e.g. jQuery3410_1700000000000), "
                             f"at most {MAX_CALLBACK} characters")
    return cb


def json_response(request: Request, data: Any, status: int = 200, jsonp: bool = True) -> Response:
    cb = _callback(request) if jsonp and request.method in ("GET", "HEAD") else None
    if cb:
        # "/**/" keeps the body from starting with attacker-chosen bytes (content sniffing).
        body = f"/**/{cb}({_dumps(data)});"
        return Response(body.encode(), status_code=status,
                        media_type="application/javascript; charset=utf-8")
    return Response(_dumps(data).encode(), status_code=status,
                    media_type="application/json; charset=utf-8")


def error_response(status: int, message: str) -> Response:
    return Response(_dumps({"status": status, "error": message}).encode(), status_code=status,
                    media_type="application/json; charset=utf-8")


def _guard(handler):
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as e:
            return error_response(e.status, e.message)
        except rs.BatchTooLarge as e:
            return error_response(413, str(e))
        except rs.ReconcileError as e:
            return error_response(400, str(e))
    return wrapped


def _origin(request: Request, state) -> str:
    """Scheme and authority the client used (plus any root path), for the sub-service URLs;
    the configured base if the Host header is not a plain host[:port]."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        return state.base.rstrip("/")
    scheme = request.url.scheme if request.url.scheme in ("http", "https") else "http"
    return f"{scheme}://{host}{request.scope.get('root_path', '')}".rstrip("/")


def _accept_language(request: Request) -> str | None:
    """The first language of Accept-Language (by q) that our labels have, else None."""
    header = request.headers.get("accept-language")
    if not header:
        return None
    tags = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q=([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        tags.append((-q, i, tag.strip().split("-")[0].lower()))
    for _, _, primary in sorted(tags):
        if primary in LANGS:
            return primary
    return None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"the request body is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, state) -> dict[str, str]:
    """The parameters of a GET (query string) or POST (form-encoded body, or a JSON body, which
    stands for ``queries``, or ``extend`` when it has ``ids``)."""
    if request.method != "POST":
        return dict(request.query_params)
    body = await _read_body(request, state.config.max_body)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "the request body is not UTF-8") from None
    if ctype in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                              max_num_fields=20)
        except ValueError as e:
            raise HttpError(400, f"the form body cannot be read: {e}") from None
        return {**dict(request.query_params), **dict(pairs)}
    if ctype == "application/json":
        key = "queries"
        try:
            parsed = json.loads(text)
            if isinstance(parsed, dict) and "ids" in parsed and "properties" in parsed:
                key = "extend"
        except ValueError:
            pass  # reported with the position when parsed as queries
        return {**dict(request.query_params), key: text}
    raise HttpError(415, f"POST a form-encoded body (queries=...) or JSON, not {ctype!r}")


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise HttpError(400, f"{what} is not valid JSON: {e}") from None


# --------------------------------------------------------------------------------------------
# Query parsing
# --------------------------------------------------------------------------------------------

def _int(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise rs.ReconcileError(f"{what} must be an integer, not {json.dumps(value)}")
    if value < minimum:
        raise rs.ReconcileError(f"{what} must be at least {minimum}, not {int(value)}")
    return int(value)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise rs.ReconcileError(f"{what} must be a non-empty string")
    if len(value) > rs.MAX_QUERY_CHARS:
        raise rs.ReconcileError(f"{what} is longer than {rs.MAX_QUERY_CHARS} characters")
    return value


def _property_values(v: Any, what: str) -> list:
    """The values of a condition; blank strings (empty spreadsheet cells) are left out, so a
    condition may come back empty and is then not applied."""
    values = v if isinstance(v, list) else [v]
    if len(values) > rs.MAX_VALUES:
        raise rs.ReconcileError(f"{what} has more than {rs.MAX_VALUES} values")
    for x in values:
        if isinstance(x, dict):
            if not isinstance(x.get("id"), str) or not x["id"].strip():
                raise rs.ReconcileError(f"{what}: an entity value needs a string 'id'")
        elif isinstance(x, str):
            if len(x) > rs.MAX_QUERY_CHARS:
                raise rs.ReconcileError(f"{what}: a value is longer than {rs.MAX_QUERY_CHARS} "
                                        f"characters")
        elif not isinstance(x, (int, float, bool)):
            raise rs.ReconcileError(f"{what}: a value is a string, number, boolean or "
                                    f"{{\"id\": ...}}, not {json.dumps(x)}")
    return [x for x in values if not (isinstance(x, str) and not x.strip())]


_FIELDS_02 = {"query", "type", "limit", "properties", "type_strict"}


def parse_query_02(index: rs.Index, key: str, raw: Any, lang: str | None) -> rs.Query:
    if not isinstance(raw, dict):
        raise rs.ReconcileError(f"query {key!r} must be a JSON object")
    unknown = set(raw) - _FIELDS_02
    if unknown:
        raise rs.ReconcileError(f"query {key!r} has unknown field(s) {', '.join(sorted(unknown))}; "
                                f"allowed: {', '.join(sorted(_FIELDS_02))}")
    q = rs.Query(lang=lang)
    if "query" in raw:
        q.names = [_text(raw["query"], f"query {key!r}: 'query'")]
    if "type" in raw:
        types = raw["type"] if isinstance(raw["type"], list) else [raw["type"]]
        if not all(isinstance(t, str) and t.strip() for t in types) or len(types) > 10:
            raise rs.ReconcileError(f"query {key!r}: 'type' is a type id or a list of at most "
                                    f"10 type ids")
        q.types = [index.resolve_type(t) for t in types]
    if "type_strict" in raw:
        if raw["type_strict"] not in ("any", "all", "should"):
            raise rs.ReconcileError(f"query {key!r}: 'type_strict' is one of any, all, should")
        q.type_strict = raw["type_strict"]
    if "limit" in raw:
        q.limit = min(_int(raw["limit"], f"query {key!r}: 'limit'"), rs.MAX_LIMIT)
    props = raw.get("properties", [])
    if not isinstance(props, list) or len(props) > rs.MAX_CONDITIONS:
        raise rs.ReconcileError(f"query {key!r}: 'properties' is a list of at most "
                                f"{rs.MAX_CONDITIONS} {{\"pid\": ..., \"v\": ...}} objects")
    for i, prop in enumerate(props):
        what = f"query {key!r}: properties[{i}]"
        if not isinstance(prop, dict) or not isinstance(prop.get("pid"), str) or "v" not in prop:
            raise rs.ReconcileError(f"{what} must be an object with 'pid' (a string) and 'v'")
        pid = index.resolve_property(prop["pid"])
        values = _property_values(prop["v"], what)
        if values:
            q.conditions.append(rs.Condition(pid, values))
    if not q.names and not q.conditions:
        raise rs.ReconcileError(f"query {key!r} needs 'query' or 'properties' with a value")
    return q


_FIELDS_10 = {"type", "limit", "lang", "dir", "conditions"}
_CONDITION_FIELDS = {"matchType", "pid", "v", "required", "matchQuantifier", "matchQualifier"}


def parse_query_10(index: rs.Index, i: int, raw: Any, lang: str | None) -> rs.Query:
    where = f"queries[{i}]"
    if not isinstance(raw, dict):
        raise rs.ReconcileError(f"{where} must be a JSON object")
    unknown = set(raw) - _FIELDS_10
    if unknown:
        raise rs.ReconcileError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}; "
                                f"allowed: {', '.join(sorted(_FIELDS_10))}")
    q = rs.Query(lang=lang)
    if "lang" in raw:
        if not isinstance(raw["lang"], str):
            raise rs.ReconcileError(f"{where}: 'lang' is a language tag")
        q.lang = raw["lang"].split("-")[0].lower() or lang
    if "type" in raw:
        if not isinstance(raw["type"], str):
            raise rs.ReconcileError(f"{where}: 'type' is one type id (a string)")
        q.types = [index.resolve_type(raw["type"])]
    if "limit" in raw:
        q.limit = min(_int(raw["limit"], f"{where}: 'limit'"), rs.MAX_LIMIT)
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise rs.ReconcileError(f"{where} needs 'conditions': a non-empty list")
    if len(conditions) > rs.MAX_CONDITIONS:
        raise rs.ReconcileError(f"{where} has more than {rs.MAX_CONDITIONS} conditions")
    names_seen = False
    for j, c in enumerate(conditions):
        what = f"{where}.conditions[{j}]"
        if not isinstance(c, dict):
            raise rs.ReconcileError(f"{what} must be a JSON object")
        unknown = set(c) - _CONDITION_FIELDS
        if unknown:
            raise rs.ReconcileError(f"{what} has unknown field(s) {', '.join(sorted(unknown))}")
        if c.get("matchType") not in ("name", "property") or "v" not in c:
            raise rs.ReconcileError(f"{what} needs 'matchType' (name or property) and 'v'")
        if "matchQualifier" in c:
            raise rs.ReconcileError(f"{what}: matchQualifier is not supported by this service "
                                    f"(values are compared as described by suggest/property)")
        quantifier = c.get("matchQuantifier", "any")
        if quantifier not in ("any", "all", "none"):
            raise rs.ReconcileError(f"{what}: 'matchQuantifier' is one of any, all, none")
        required = c.get("required", False)
        if not isinstance(required, bool):
            raise rs.ReconcileError(f"{what}: 'required' is true or false")
        values = _property_values(c["v"], what)
        if c["matchType"] == "name":
            if not values:
                raise rs.ReconcileError(f"{what}: a name condition needs a non-empty 'v'")
            if "pid" in c:
                raise rs.ReconcileError(f"{what}: a name condition has no 'pid'")
            if names_seen:
                raise rs.ReconcileError(f"{where}: give at most one name condition (several "
                                        f"names go in its 'v' as a list)")
            names_seen = True
            q.names = [_text(v, f"{what}: 'v'") for v in values]
            q.name_quantifier = quantifier
        else:
            if not isinstance(c.get("pid"), str):
                raise rs.ReconcileError(f"{what}: a property condition needs 'pid'")
            pid = index.resolve_property(c["pid"])
            if values:
                q.conditions.append(rs.Condition(pid, values, required=required,
                                                 quantifier=quantifier))
    if not q.names and not q.conditions:
        raise rs.ReconcileError(f"{where} needs a name or a property condition with a value")
    return q


# --------------------------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------------------------

def _type_ref(t: rs.TypeInfo, lang: str | None = None) -> dict:
    return {"id": t.id, "name": t.name(lang)}


def _type_object(index: rs.Index, t: rs.TypeInfo, lang: str | None = None) -> dict:
    out = {"id": t.id, "name": t.name(lang)}
    if t.description:
        out["description"] = t.description
    if t.broader:
        out["broader"] = [_type_ref(index.types[b], lang) for b in t.broader if b in index.types]
    return out


def candidate_json(index: rs.Index, c: rs.Candidate, draft: bool) -> dict:
    out = {"id": c.entity.id, "name": c.name,
           "description": rs.describe(index, c.entity, c.lang or None),
           "score": c.score, "match": c.match,
           "type": [_type_ref(t, c.lang or None) for t in rs.candidate_types(index, c.entity)]}
    if draft:
        out["features"] = [{"id": f.id, "name": f.name, "value": f.value} for f in c.features]
        if c.lang:
            out["lang"] = c.lang
    else:
        out["features"] = [{"id": f.id, "value": f.value} for f in c.features]
    return out


def _entity_suggestion(index: rs.Index, e: rs.Entity, label: rs.Label | None,
                       lang: str | None) -> dict:
    want = lang or (label.lang.split("-")[0] if label and "-" not in label.lang else None)
    name, _ = e.name(want)
    return {"id": e.id, "name": name, "description": rs.describe(index, e, want, width=160),
            "notable": [_type_ref(t, want) for t in rs.candidate_types(index, e)]}


def _property_json(p: rs.PropertyInfo, lang: str | None = None) -> dict:
    out = {"id": p.id, "name": p.name(lang)}
    if p.description:
        out["description"] = p.description
    return out


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------

def routes(state):
    def index() -> rs.Index:
        return rs.index_for(state)

    def manifest_02(request: Request) -> dict:
        origin = _origin(request, state)
        service = f"{origin}/reconcile"
        ix = index()
        return {
            "versions": ["0.1", "0.2"],
            "name": NAME,
            "identifierSpace": f"{state.base}id/",
            "schemaSpace": SCHEMA_SPACE,
            "serviceVersion": __version__,
            "batchSize": rs.MAX_BATCH,
            "defaultTypes": [_type_object(ix, ix.types[t]) for t in rs.DEFAULT_TYPE_NAMES],
            "view": {"url": f"{origin}/id/{{{{id}}}}"},
            "preview": {"url": f"{service}/preview?id={{{{id}}}}",
                        "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
            "suggest": {
                "entity": {"service_url": service, "service_path": "/suggest/entity",
                           "flyout_service_path": "/flyout/entity?id=${id}"},
                "type": {"service_url": service, "service_path": "/suggest/type"},
                "property": {"service_url": service, "service_path": "/suggest/property"},
            },
            "extend": {
                "propose_properties": {"service_url": service, "service_path": "/extend/propose"},
                "property_settings": [
                    {"name": "limit", "label": "Values at most", "type": "number", "default": 0,
                     "help_text": "How many values to fetch per entity (0: all)"},
                    {"name": "lang", "label": "Language", "type": "select", "default": "en",
                     "help_text": "Language of names and labels, where the graph has it",
                     "choices": [{"value": k, "name": v} for k, v in LANG_NAMES.items()]},
                ],
            },
        }

    def manifest_10(request: Request) -> dict:
        origin = _origin(request, state)
        ix = index()
        return {
            "versions": ["1.0-draft"],
            "name": NAME,
            "serviceVersion": __version__,
            "lang": "en",
            "batchSize": rs.MAX_BATCH,
            "standardizedScore": True,
            "defaultTypes": [_type_object(ix, ix.types[t]) for t in rs.DEFAULT_TYPE_NAMES],
            "view": {"url": f"{origin}/id/{{+id}}"},
            "preview": {"width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
            "suggest": {"entity": True, "property": True, "type": True},
            "extend": {
                "proposeProperties": True,
                "propertySettings": [
                    {"id": "limit", "name": "Values at most", "type": "number", "default": 0,
                     "helpText": "How many values to fetch per entity (0: all)"},
                    {"id": "lang", "name": "Language", "type": "select", "default": "en",
                     "helpText": "Language of names and labels, where the graph has it",
                     "choices": [{"value": k, "name": v} for k, v in LANG_NAMES.items()]},
                ],
            },
        }

    def run_batch_02(batch: Any, lang: str | None) -> dict:
        if not isinstance(batch, dict):
            raise rs.ReconcileError('queries must be a JSON object of queries keyed by id, '
                                    'e.g. {"q0": {"query": "Taishet"}}')
        if len(batch) > rs.MAX_BATCH:
            raise rs.BatchTooLarge(f"{len(batch)} queries in one batch; the limit is "
                                   f"{rs.MAX_BATCH} (the manifest's batchSize)")
        ix = index()
        parsed = {key: parse_query_02(ix, key, raw, lang) for key, raw in batch.items()}
        return {key: {"result": [candidate_json(ix, c, False) for c in rs.reconcile(ix, q)]}
                for key, q in parsed.items()}

    def run_single_01(text: str, lang: str | None) -> dict:
        ix = index()
        stripped = text.strip()
        if stripped.startswith("{"):
            q = parse_query_02(ix, "query", _parse_json(stripped, "the query parameter"), lang)
        else:
            q = rs.Query(names=[_text(text, "the query parameter")], lang=lang)
        return {"result": [candidate_json(ix, c, False) for c in rs.reconcile(ix, q)]}

    def parse_extend(raw: Any) -> tuple[list[str], list[tuple[str, str, int, str | None]]]:
        if not isinstance(raw, dict) or not isinstance(raw.get("ids"), list) \
                or not isinstance(raw.get("properties"), list):
            raise rs.ReconcileError('a data extension query is {"ids": [...], "properties": '
                                    '[{"id": ...}, ...]}')
        ids, props = raw["ids"], raw["properties"]
        if len(ids) > rs.MAX_EXTEND_IDS or len(props) > rs.MAX_EXTEND_PROPERTIES:
            raise rs.BatchTooLarge(f"at most {rs.MAX_EXTEND_IDS} ids and "
                                   f"{rs.MAX_EXTEND_PROPERTIES} properties per extension")
        if not all(isinstance(i, str) and i for i in ids):
            raise rs.ReconcileError("extension ids must be non-empty strings")
        ix = index()
        out = []
        for j, p in enumerate(props):
            if not isinstance(p, dict) or not isinstance(p.get("id"), str):
                raise rs.ReconcileError(f"properties[{j}] must be an object with an 'id'")
            settings = p.get("settings") or {}
            if not isinstance(settings, dict):
                raise rs.ReconcileError(f"properties[{j}].settings must be an object")
            limit = settings.get("limit", 0)
            if isinstance(limit, str):  # form-based clients send settings as text
                limit = int(limit) if limit.strip().isdigit() else (0 if not limit.strip() else limit)
            limit = _int(limit, f"properties[{j}].settings.limit", minimum=0)
            lang = settings.get("lang") or None
            if lang is not None and lang not in LANGS:
                raise rs.ReconcileError(f"properties[{j}].settings.lang is one of "
                                        f"{', '.join(LANGS)}")
            out.append((p["id"], ix.resolve_property(p["id"]), limit, lang))
        return ids, out

    def meta(props, lang: str | None) -> list[dict]:
        ix = index()
        out = []
        for given, pid, _, plang in props:
            m = {"id": given, "name": ix.properties[pid].name(plang or lang)}
            t = rs.extension_type(ix, pid)
            if t is not None:
                m["type"] = _type_ref(t, plang or lang)
            out.append(m)
        return out

    def extend_02(raw: Any, lang: str | None) -> dict:
        ids, props = parse_extend(raw)
        ix = index()
        rows = {}
        for ident in ids:
            e = ix.entity(ident)
            rows[ident] = {given: rs.extension_values(ix, e, pid, limit, plang or lang)
                           for given, pid, limit, plang in props}
        return {"meta": meta(props, lang), "rows": rows}

    def extend_10(raw: Any, lang: str | None) -> dict:
        ids, props = parse_extend(raw)
        ix = index()
        rows = []
        for ident in ids:
            e = ix.entity(ident)
            rows.append({"id": ident, "properties": [
                {"id": given, "values": rs.extension_values(ix, e, pid, limit, plang or lang,
                                                            with_lang=True)}
                for given, pid, limit, plang in props]})
        return {"meta": meta(props, lang), "rows": rows}

    # ---- handlers ------------------------------------------------------------------------

    @_guard
    async def endpoint_02(request: Request) -> Response:
        params = await _form(request, state)
        lang = _accept_language(request)
        present = [k for k in ("queries", "query", "extend") if k in params]
        if len(present) > 1:
            raise HttpError(400, f"send one of queries, query or extend, "
                                 f"not {' and '.join(present)}")
        if not present:
            if request.method == "POST":
                raise HttpError(400, "POST a reconciliation batch in the form field 'queries' "
                                     "(or a data extension query in 'extend')")
            return json_response(request, manifest_02(request))
        if "queries" in present:
            batch = _parse_json(params["queries"], "the queries parameter")
            data = await run_in_threadpool(run_batch_02, batch, lang)
        elif "query" in present:
            data = await run_in_threadpool(run_single_01, params["query"], lang)
        else:
            raw = _parse_json(params["extend"], "the extend parameter")
            data = await run_in_threadpool(extend_02, raw, lang)
        return json_response(request, data)

    @_guard
    async def endpoint_10(request: Request) -> Response:
        return json_response(request, manifest_10(request), jsonp=False)

    @_guard
    async def reconcile_10(request: Request) -> Response:
        body = await _read_body(request, state.config.max_body)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HttpError(415, "POST the query batch as application/json: "
                                 '{"queries": [{"conditions": [...]}]}')
        raw = _parse_json(body.decode("utf-8", errors="replace"), "the request body")
        if not isinstance(raw, dict) or not isinstance(raw.get("queries"), list):
            raise HttpError(400, 'the body must be {"queries": [...]}')
        if set(raw) - {"queries"}:
            raise HttpError(400, f"unknown field(s) {', '.join(sorted(set(raw) - {'queries'}))} "
                                 f"in the batch; only 'queries'")
        if len(raw["queries"]) > rs.MAX_BATCH:
            raise rs.BatchTooLarge(f"{len(raw['queries'])} queries in one batch; the limit is "
                                   f"{rs.MAX_BATCH} (the manifest's batchSize)")
        lang = _accept_language(request)

        def run() -> dict:
            ix = index()
            parsed = [parse_query_10(ix, i, q, lang) for i, q in enumerate(raw["queries"])]
            return {"results": [{"candidates": [candidate_json(ix, c, True)
                                                for c in rs.reconcile(ix, q)]} for q in parsed]}
        return json_response(request, await run_in_threadpool(run), jsonp=False)

    @_guard
    async def extend_endpoint_10(request: Request) -> Response:
        body = await _read_body(request, state.config.max_body)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HttpError(415, 'POST the data extension query as application/json: '
                                 '{"ids": [...], "properties": [{"id": ...}]}')
        raw = _parse_json(body.decode("utf-8", errors="replace"), "the request body")
        data = await run_in_threadpool(extend_10, raw, _accept_language(request))
        return json_response(request, data, jsonp=False)

    def _paging(request: Request) -> tuple[int, int]:
        def number(name: str, default: int, lo: int, hi: int) -> int:
            raw = request.query_params.get(name)
            if raw is None or raw == "":
                return default
            if not raw.isdigit():
                raise HttpError(400, f"{name} must be a non-negative integer")
            return max(lo, min(int(raw), hi))
        return number("cursor", 0, 0, 1_000_000), number("limit", 10, 1, rs.MAX_SUGGEST)

    def _prefix(request: Request) -> str:
        prefix = request.query_params.get("prefix", "")
        if len(prefix) > rs.MAX_QUERY_CHARS:
            raise HttpError(400, f"prefix is longer than {rs.MAX_QUERY_CHARS} characters")
        return prefix

    @_guard
    async def suggest(request: Request) -> Response:
        what = request.path_params["what"]
        prefix = _prefix(request)
        cursor, limit = _paging(request)
        lang = request.query_params.get("lang") or _accept_language(request)
        lang = lang if lang in LANGS else None
        ix = index()
        types = [ix.resolve_type(t) for t in request.query_params.getlist("type") if t.strip()]
        if what == "entity":
            found = await run_in_threadpool(rs.suggest_entities, ix, prefix, types)
            page = [_entity_suggestion(ix, e, label, lang)
                    for e, label in found[cursor:cursor + limit]]
        elif what == "type":
            found = rs.suggest_types(ix, prefix)
            page = [_type_object(ix, t, lang) for t in found[cursor:cursor + limit]]
        elif what == "property":
            found = rs.suggest_properties(ix, prefix, types)
            page = [_property_json(p, lang) for p in found[cursor:cursor + limit]]
        else:
            raise HttpError(404, f"there is no suggest service for {what!r}: use entity, type "
                                 f"or property")
        return json_response(request, {"result": page})

    def _entity_param(request: Request) -> rs.Entity:
        ident = request.query_params.get("id")
        if not ident:
            raise HttpError(400, "give the entity as ?id=camp/taishet (or its full IRI)")
        e = index().entity(ident)
        if e is None:
            raise HttpError(404, f"there is no entity {ident!r} in this service (ids look like "
                                 f"camp/taishet)")
        return e

    @_guard
    async def preview(request: Request) -> Response:
        lang = request.query_params.get("lang") or _accept_language(request)
        lang = lang if lang in LANGS else None
        try:
            e = _entity_param(request)
        except HttpError as err:
            page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    f"<title>Not found</title></head><body><p>{_escape(err.message)}</p>"
                    f"</body></html>\n")
            return Response(page.encode(), status_code=err.status,
                            media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": PREVIEW_CSP})
        path = path_for_iri(state.base, e.iri) or f"/id/{e.id}"
        body = rs.preview_html(index(), e, f"{path}.html", lang)
        return Response(body.encode(), media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": PREVIEW_CSP,
                                 "Cache-Control": "public, max-age=300"})

    @_guard
    async def flyout(request: Request) -> Response:
        e = _entity_param(request)
        ix = index()
        name, lang = e.name(_accept_language(request))
        html_text = (f'<div class="siberia-kg-flyout"><strong lang="{_escape(lang or "en")}">'
                     f"{_escape(name)}</strong><br><small>{_escape(e.id)}</small>"
                     f"<p>{_escape(rs.describe(ix, e, lang or None))}</p></div>")
        return json_response(request, {"id": request.query_params["id"], "html": html_text})

    async def _propose(request: Request, draft: bool) -> Response:
        ix = index()
        given = request.query_params.get("type")
        raw_limit = request.query_params.get("limit")
        if raw_limit is not None and not raw_limit.isdigit():
            raise HttpError(400, "limit must be a positive integer")
        limit = min(int(raw_limit), MAX_PROPOSE) if raw_limit else 20
        if limit < 1:
            raise HttpError(400, "limit must be a positive integer")
        lang = _accept_language(request)
        if given:
            props = rs.propose_properties(ix, ix.resolve_type(given))
        elif draft:
            raise HttpError(400, "give the type as ?type=camp (a type id)")
        else:
            props = rs.suggest_properties(ix, "")
        out: dict[str, Any] = {"properties": [_property_json(p, lang) for p in props[:limit]]}
        if given:
            out["type"] = given
        if raw_limit:
            out["limit"] = limit
        return json_response(request, out, jsonp=not draft)

    @_guard
    async def propose_02(request: Request) -> Response:
        return await _propose(request, draft=False)

    @_guard
    async def propose_10(request: Request) -> Response:
        return await _propose(request, draft=True)

    get = ["GET", "HEAD"]
    return [
        Route("/reconcile", endpoint_02, methods=["GET", "HEAD", "POST"]),
        Route("/reconcile/preview", preview, methods=get),
        Route("/reconcile/flyout/entity", flyout, methods=get),
        Route("/reconcile/suggest/{what}", suggest, methods=get),
        Route("/reconcile/extend/propose", propose_02, methods=get),
        Route("/reconcile/1.0-draft", endpoint_10, methods=get),
        Route("/reconcile/1.0-draft/reconcile", reconcile_10, methods=["POST"]),
        Route("/reconcile/1.0-draft/suggest/{what}", suggest, methods=get),
        Route("/reconcile/1.0-draft/preview", preview, methods=get),
        Route("/reconcile/1.0-draft/extend", extend_endpoint_10, methods=["POST"]),
        Route("/reconcile/1.0-draft/extend/propose", propose_10, methods=get),
    ]


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


async def startup(state) -> None:
    """Build the label index before the first request, off the event loop."""
    await run_in_threadpool(rs.index_for, state)
