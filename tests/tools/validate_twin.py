#!/usr/bin/python3
"""Validates a module twin configuration object against the official security module twin
schema (third_party/azure-schemas/security_module_twin/azureiotsecurity_schema.json).

  validate_twin.py FILE     FILE holds the configuration object, e.g. the agent's reported
                            "ms_iotn:urn_azureiot_Security_SecurityAgentConfiguration" value

The schema describes the desired section; the agent reports the same shape, so the object is
checked as {"desired": {"ms_iotn:...": OBJECT}}. Every property must also use the {"value": X}
wrapper. Exit 0 when valid, 1 otherwise (each problem is printed).
"""
import json
import os
import sys

from jsonschema import Draft7Validator, RefResolver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWIN_DIR = os.path.join(ROOT, "third_party", "azure-schemas", "security_module_twin")
OBJECT = "ms_iotn:urn_azureiot_Security_SecurityAgentConfiguration"


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    store = {}
    for name in ("azureiotsecurity_schema.json", "azureiotsecurity_schema_definitions.json"):
        with open(os.path.join(TWIN_DIR, name), encoding="utf-8") as handle:
            schema = json.load(handle)
        store[name] = schema
        store[schema.get("$id", name)] = schema
    root = store["azureiotsecurity_schema.json"]
    validator = Draft7Validator(root, resolver=RefResolver(base_uri="", referrer=root, store=store))
    with open(argv[1], encoding="utf-8") as handle:
        configuration = json.load(handle)
    ok = True
    for error in validator.iter_errors({"desired": {OBJECT: configuration}}):
        ok = False
        print("/".join(str(p) for p in error.absolute_path) + ": " + error.message)
    declared = root["properties"]["desired"]["properties"][OBJECT]["properties"]
    for key in declared:
        if key not in configuration:
            ok = False
            print(f"{key}: missing (the whole effective configuration must be reported)")
    for key, value in configuration.items():
        if not (isinstance(value, dict) and list(value) == ["value"]):
            ok = False
            print(f"{key}: not wrapped as {{\"value\": ...}}")
    print(f"{len(configuration)} properties, {len(declared)} in the official schema: {'valid' if ok else 'INVALID'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
