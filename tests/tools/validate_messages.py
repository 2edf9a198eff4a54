#!/usr/bin/python3
"""Validates edgeguard's messages against the official Azure security message schema v1.0
(third_party/azure-schemas) and extension messages against schemas/extension_message.schema.json.

  validate_messages.py FILE...        every line of each JSON-lines file (our output: strict)
  validate_messages.py --samples      the official samples.json: "valid" must pass, "invalid" fail

Strict mode (our own output) also requires RFC 3339 date-times with a "T" and an explicit offset,
and that a message is either a v1.0 security message or an extension message, never a mix.
The official samples are checked with Microsoft's leniency: a space may stand for the "T".
Exit 0 when everything is as expected, 1 otherwise (each problem is printed).
Uses Debian's python3-jsonschema (4.10).
"""
import json
import os
import re
import sys

import jsonschema
from jsonschema import Draft7Validator, FormatChecker, RefResolver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
V1_DIR = os.path.join(ROOT, "third_party", "azure-schemas", "security_message", "schemas")
EXTENSION_SCHEMA = os.path.join(ROOT, "schemas", "extension_message.schema.json")
SAMPLES = os.path.join(ROOT, "third_party", "azure-schemas", "security_message", "tests", "samples.json")

STRICT_DATE_TIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")
LENIENT_DATE_TIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")


def format_checker(strict):
    checker = FormatChecker()
    pattern = STRICT_DATE_TIME if strict else LENIENT_DATE_TIME

    @checker.checks("date-time")
    def _date_time(value):  # noqa: ANN001
        return not isinstance(value, str) or bool(pattern.match(value))

    return checker


def load_store(directory):
    store = {}
    for name in os.listdir(directory):
        if name.endswith(".json"):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                schema = json.load(handle)
            store[schema.get("$id", name)] = schema
            store[name] = schema
    return store


def v1_validator(strict):
    store = load_store(V1_DIR)
    root = store["messageRoot.json"]
    resolver = RefResolver(base_uri="", referrer=root, store=store)
    return Draft7Validator(root, resolver=resolver, format_checker=format_checker(strict))


def extension_validator(strict):
    with open(EXTENSION_SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    return Draft7Validator(schema, format_checker=format_checker(strict))


def problems(validator, message):
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(message), key=lambda e: list(e.absolute_path))]


def deep_errors(validator, message):
    """The most specific reasons under a oneOf failure, so a human can see what is wrong."""
    out = []
    for error in validator.iter_errors(message):
        leaves = list(error.context) or [error]
        for leaf in leaves:
            out.append(f"{'/'.join(str(p) for p in leaf.absolute_path) or '(root)'}: {leaf.message[:300]}")
    return out[:12]


def check_samples():
    validator = v1_validator(strict=False)
    with open(SAMPLES, encoding="utf-8") as handle:
        samples = json.load(handle)
    failures = 0
    for index, message in enumerate(samples["valid"]):
        if not validator.is_valid(message):
            failures += 1
            print(f"samples.json valid[{index}] was rejected:", *deep_errors(validator, message), sep="\n  ")
    for index, message in enumerate(samples["invalid"]):
        if validator.is_valid(message):
            failures += 1
            print(f"samples.json invalid[{index}] was accepted")
    print(f"samples.json: {len(samples['valid'])} valid, {len(samples['invalid'])} invalid, {failures} unexpected")
    return failures == 0


def check_files(paths):
    v1 = v1_validator(strict=True)
    extension = extension_validator(strict=True) if os.path.exists(EXTENSION_SCHEMA) else None
    ok = True
    counts = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        if not lines:
            print(f"{path}: no messages")
            ok = False
        for number, line in enumerate(lines, 1):
            where = f"{path}:{number}"
            try:
                message = json.loads(line)
            except json.JSONDecodeError as error:
                print(f"{where}: not JSON: {error}")
                ok = False
                continue
            version = message.get("MessageSchemaVersion") if isinstance(message, dict) else None
            if version == "1.0":
                validator = v1
            elif extension is not None:
                validator = extension
            else:
                print(f"{where}: MessageSchemaVersion {version!r} and no extension schema")
                ok = False
                continue
            errors = deep_errors(validator, message)
            if errors:
                ok = False
                print(f"{where}: invalid {version} message:", *errors, sep="\n  ")
                continue
            for event in message["Events"]:
                counts[(version, event["Name"])] = counts.get((version, event["Name"]), 0) + 1
    for (version, name), count in sorted(counts.items()):
        print(f"  {version:24} {name:28} {count}")
    return ok


def main(argv):
    if len(argv) == 2 and argv[1] == "--samples":
        return 0 if check_samples() else 1
    if len(argv) < 2:
        print(__doc__)
        return 2
    return 0 if check_files(argv[1:]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
