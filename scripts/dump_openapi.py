"""Print pacai's OpenAPI document as JSON, without starting a server or touching a database.

The Studio web app generates its API types from this (`npm run gen:api -- FILE` in web/);
a drift check regenerates them from the current code and diffs the committed file.

    python scripts/dump_openapi.py > /tmp/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any


def openapi_document() -> dict[str, Any]:
    from pacai.app import create_app

    app: Any = create_app()
    # create_app wraps the Litestar app in edge middleware; walk down to the one that has a schema.
    while not hasattr(app, "openapi_schema"):
        app = app.app
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


def main() -> None:
    json.dump(openapi_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
