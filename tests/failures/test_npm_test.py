"""`npm test` runs the TypeScript tests the way `make test` does.

It used to run `node --test --experimental-strip-types site_src`: Node 20 has no such flag, so
`npm test` failed before running a single test.
"""

from __future__ import annotations

import json
import re

from builders.build import PROJECT_ROOT


def test_npm_test_is_the_command_make_test_runs():
    script = json.loads((PROJECT_ROOT / "package.json").read_text())["scripts"]["test"]
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (PROJECT_ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"\t{script}\n" in recipe, (script, recipe)
    assert "--experimental" not in script
