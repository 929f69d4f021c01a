"""Write tests/link/fixtures/wikidata.ttl from fixture_items.py: ``python tests/link/make_fixture.py``
(test_reader.py fails when the checked-in file and the generator disagree)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "wikidata.ttl"


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from link.fixture_items import turtle

    FIXTURE.write_text(turtle(), encoding="utf-8")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
