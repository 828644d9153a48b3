#!/usr/bin/env python3
"""Extract the response schemas apifyforge relies on from the official Apify OpenAPI spec.

Reads the bundled Apify API v2 OpenAPI document (OpenAPI 3.1, JSON Schema 2020-12
dialect) and writes ``tests/data/openapi/responses.json``: for each operation the
project uses (by operationId) its HTTP method, path template and, for every
documented response status, a standalone JSON Schema (draft 2020-12) of the
``application/json`` response body.

The output is structure only:

* every ``$ref`` (to ``#/components/schemas/...`` or ``#/components/responses/...``)
  is resolved: referenced component schemas are copied into a per-schema ``$defs``
  section and the refs rewritten to ``#/$defs/<Name>`` (recursion-safe);
* annotations are stripped from schema objects: ``description``, ``summary``,
  ``title``, ``example``, ``examples``, ``default``, ``deprecated``, ``readOnly``,
  ``writeOnly``, ``$comment``, ``externalDocs``, ``xml``, ``discriminator`` and all
  ``x-*`` extensions (only where they are keywords: a *property* named
  ``description`` or ``default`` is kept);
* OpenAPI 3.0 ``nullable: true`` is converted to a type array defensively.

Layout::

    {"specVersion", "specSha256", "generatedBy",
     "operations": {opId: {"method", "path",
                           "responses": {status: {"contentTypes": [...], "schema": NAME | null}}}},
     "schemas": {NAME: <standalone draft 2020-12 schema>},
     "errorSchema": <standalone schema of ErrorResponse>}

Identical response schemas are stored once in ``schemas`` (every error status of
every operation shares ``ErrorResponse``, whose ``ErrorType`` enum alone is ~10 KB).
A status documented without a JSON body (e.g. 302) gets ``"schema": null``.

Output is deterministic (sorted keys, fixed formatting): re-running gives the
same bytes. ``--check`` exits 1 if the file on disk differs from what would be
generated, and exits 0 with a message when the spec is not available (fresh
clone without ../shared).

Usage:
    python3 scripts/extract-openapi.py [--spec PATH] [--out PATH] [--check]

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "apify-openapi-bundled" / "openapi.bundled.json"
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "openapi" / "responses.json"
GENERATED_BY = "scripts/extract-openapi.py"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

OPERATIONS = [
    "users_me_get",
    "actors_get",
    "actor_get",
    "actors_builds_get",
    "actors_build_get",
    "actorBuild_get",
    "actors_runs_get",
    "actors_runs_post",
    "actors_run_get",
    "actorRuns_get",
    "actorRun_get",
    "actorRun_put",
    "actor_runSyncGetDatasetItems_post",
    "actor_runSync_post",
    "actor_runSync_get",
    "PostChargeRun",
    "actorRun_abort_post",
    "keyValueStore_record_get",
    "keyValueStore_record_put",
    "dataset_get",
    "dataset_items_get",
    "dataset_items_post",
    "actorRun_keyValueStore_record_get",
]

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Annotation / OpenAPI-only keywords removed from schema objects.
STRIP_KEYWORDS = {
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
    "externalDocs",
    "xml",
    "discriminator",
}

# Keywords whose value is a map of name -> schema.
SCHEMA_MAP_KEYWORDS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
# Keywords whose value is a single schema.
SCHEMA_KEYWORDS = {
    "items",
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "contentSchema",
}
# Keywords whose value is an array of schemas.
SCHEMA_LIST_KEYWORDS = {"allOf", "anyOf", "oneOf", "prefixItems"}

SCHEMA_REF_PREFIX = "#/components/schemas/"
RESPONSE_REF_PREFIX = "#/components/responses/"


class SpecError(Exception):
    pass


def json_pointer(doc: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise SpecError(f"unsupported (non-local) $ref: {ref}")
    node = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise SpecError(f"dangling $ref: {ref}")
    return node


def def_name(ref: str) -> str:
    """Name under $defs for a component ref (schemas keep their component name)."""
    if ref.startswith(SCHEMA_REF_PREFIX):
        name = ref[len(SCHEMA_REF_PREFIX):]
    else:
        name = ref[2:]
    return name.replace("~1", "_").replace("~0", "_").replace("/", "_")


class Extractor:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        # Shared table of standalone response schemas (name -> schema), deduplicated by content.
        self.schemas: dict[str, Any] = {}
        self.by_content: dict[str, str] = {}

    # -- schema cleaning -------------------------------------------------

    def clean(self, schema: Any, refs: set[str]) -> Any:
        """Return a cleaned copy of `schema`; collect component refs it uses into `refs`."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            raise SpecError(f"schema is not an object or boolean: {schema!r}")
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in STRIP_KEYWORDS or key.startswith("x-") or key == "nullable":
                continue
            if key == "$ref":
                if not isinstance(value, str):
                    raise SpecError(f"non-string $ref: {value!r}")
                json_pointer(self.spec, value)  # validate it resolves
                refs.add(value)
                out[key] = "#/$defs/" + def_name(value)
            elif key in SCHEMA_MAP_KEYWORDS:
                out[key] = {name: self.clean(sub, refs) for name, sub in value.items()}
            elif key in SCHEMA_KEYWORDS:
                out[key] = self.clean(value, refs)
            elif key in SCHEMA_LIST_KEYWORDS:
                out[key] = [self.clean(sub, refs) for sub in value]
            elif key == "dependencies" and isinstance(value, dict):
                out[key] = {
                    name: (self.clean(sub, refs) if isinstance(sub, (dict, bool)) else copy.deepcopy(sub))
                    for name, sub in value.items()
                }
            else:
                # enum, const, required, type, format, pattern, minimum, ... : literal values
                out[key] = copy.deepcopy(value)
        if schema.get("nullable") is True:
            out = self.make_nullable(out)
        return out

    @staticmethod
    def make_nullable(schema: dict[str, Any]) -> dict[str, Any]:
        """OpenAPI 3.0 `nullable: true` -> JSON Schema type arrays (defensive)."""
        t = schema.get("type")
        if isinstance(t, str):
            if t != "null":
                schema["type"] = [t, "null"]
        elif isinstance(t, list):
            if "null" not in t:
                schema["type"] = [*t, "null"]
        elif "$ref" in schema or any(k in schema for k in SCHEMA_LIST_KEYWORDS):
            # Without a type the constraint lives elsewhere: allow null explicitly.
            return {"anyOf": [schema, {"type": "null"}]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema

    def standalone(self, schema: Any) -> dict[str, Any] | bool:
        """A standalone draft 2020-12 schema: cleaned root + $defs of every reachable component."""
        refs: set[str] = set()
        root = self.clean(schema, refs)
        defs: dict[str, Any] = {}
        pending = sorted(refs)
        while pending:
            ref = pending.pop()
            name = def_name(ref)
            if name in defs:
                continue
            sub_refs: set[str] = set()
            defs[name] = self.clean(json_pointer(self.spec, ref), sub_refs)
            pending.extend(sorted(r for r in sub_refs if def_name(r) not in defs))
        if isinstance(root, bool):
            root = {} if root else {"not": {}}
        if "$defs" in root:
            raise SpecError("root schema already has $defs")
        out = dict(root)
        out["$schema"] = DIALECT
        if defs:
            out["$defs"] = defs
        return out

    # -- operations ------------------------------------------------------

    def find_operations(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        found: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for path, item in self.spec.get("paths", {}).items():
            if "$ref" in item:
                item = json_pointer(self.spec, item["$ref"])
            for method, op in item.items():
                if method not in HTTP_METHODS or not isinstance(op, dict):
                    continue
                op_id = op.get("operationId")
                if op_id is None:
                    continue
                if op_id in found:
                    raise SpecError(f"duplicate operationId {op_id}")
                found[op_id] = (method.upper(), path, op)
        return found

    def resolve_response(self, response: dict[str, Any]) -> dict[str, Any]:
        seen = set()
        while "$ref" in response:
            ref = response["$ref"]
            if ref in seen:
                raise SpecError(f"response $ref cycle at {ref}")
            seen.add(ref)
            response = json_pointer(self.spec, ref)
        return response

    def response_entry(self, response: dict[str, Any], fallback_name: str) -> dict[str, Any]:
        response = self.resolve_response(response)
        content = response.get("content") or {}
        entry: dict[str, Any] = {"contentTypes": sorted(content.keys())}
        media = content.get("application/json")
        if media is not None and "schema" in media:
            entry["schema"] = self.intern(media["schema"], fallback_name)
        else:
            entry["schema"] = None
        return entry

    def intern(self, schema: Any, fallback_name: str) -> str:
        """Store the standalone form of `schema` in the shared table; return its name.

        A plain `{"$ref": "#/components/schemas/X"}` is named `X`; anything else is
        named `<operationId>.<status>`. Identical schemas share one entry."""
        body = self.standalone(schema)
        canonical = json.dumps(body, sort_keys=True)
        if canonical in self.by_content:
            return self.by_content[canonical]
        name = fallback_name
        if isinstance(schema, dict) and set(schema) == {"$ref"} and schema["$ref"].startswith(SCHEMA_REF_PREFIX):
            name = def_name(schema["$ref"])
        if name in self.schemas:
            raise SpecError(f"schema name collision: {name}")
        self.schemas[name] = body
        self.by_content[canonical] = name
        return name

    def extract(self) -> dict[str, Any]:
        found = self.find_operations()
        missing = [o for o in OPERATIONS if o not in found]
        if missing:
            raise SpecError(f"operations not in spec: {', '.join(missing)}")
        operations: dict[str, Any] = {}
        for op_id in OPERATIONS:
            method, path, op = found[op_id]
            responses = {
                str(status): self.response_entry(resp, f"{op_id}.{status}")
                for status, resp in op.get("responses", {}).items()
            }
            operations[op_id] = {"method": method, "path": path, "responses": responses}
        error_schema = self.standalone({"$ref": SCHEMA_REF_PREFIX + "ErrorResponse"})
        return {"operations": operations, "schemas": self.schemas, "errorSchema": error_schema}


def render(spec_bytes: bytes) -> str:
    spec = json.loads(spec_bytes)
    extracted = Extractor(spec).extract()
    doc = {
        "specVersion": spec.get("info", {}).get("version"),
        "specSha256": hashlib.sha256(spec_bytes).hexdigest(),
        "generatedBy": GENERATED_BY,
        **extracted,
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help=f"OpenAPI spec (default: {DEFAULT_SPEC})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output file is not what would be generated"
    )
    args = parser.parse_args(argv)

    if not args.spec.is_file():
        if args.check:
            print(f"extract-openapi: spec not found at {args.spec}; skipping check", file=sys.stderr)
            return 0
        print(f"extract-openapi: spec not found at {args.spec}", file=sys.stderr)
        return 2

    try:
        text = render(args.spec.read_bytes())
    except (SpecError, json.JSONDecodeError) as err:
        print(f"extract-openapi: {err}", file=sys.stderr)
        return 2

    if args.check:
        try:
            current = args.out.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"extract-openapi: {args.out} is missing; run scripts/extract-openapi.py", file=sys.stderr)
            return 1
        if current != text:
            print(f"extract-openapi: {args.out} is out of date; run scripts/extract-openapi.py", file=sys.stderr)
            return 1
        print(f"extract-openapi: {args.out} is up to date")
        return 0

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"extract-openapi: wrote {args.out} ({len(OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
