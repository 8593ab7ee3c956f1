"""Validates a server.json against the MCP registry's JSON schema (draft-07, formats checked).

Usage: validate.py SCHEMA DOCUMENT
Exits 0 when DOCUMENT matches; otherwise prints each violation with its path and exits 1.
"""

import json
import sys

import jsonschema


def main() -> None:
    schema_path, document_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(document_path, encoding="utf-8") as f:
        document = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        sys.stderr.write(f"{document_path}: {where}: {error.message}\n")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
