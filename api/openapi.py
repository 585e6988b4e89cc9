"""Print the API's OpenAPI document: `python -m api.openapi > docs/openapi.json`."""

from __future__ import annotations

import json

from api.app import openapi_document


def render() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
