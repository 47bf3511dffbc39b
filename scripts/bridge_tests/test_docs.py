"""docs/BRIDGE.md's hook table is the one the bridge uses."""
import os
import re

from conftest import REPO


def test_hook_table_in_the_docs_matches_the_code():
    from saex_bridge.hooks import TABLES
    text = open(os.path.join(REPO, "docs", "BRIDGE.md"), encoding="utf-8").read()
    table = text.split("<!-- BEGIN HOOK TABLE")[1].split("<!-- END HOOK TABLE")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    doc = {fam: {} for fam in ("gpt2", "llama", "gemma2", "bert")}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = cells[0].strip("`")
        for fam, cell in zip(doc, cells[1:]):
            m = re.fullmatch(r"(input|output) of `([^`]+)`", cell)
            if m:
                doc[fam][name] = (m.group(2), m.group(1))
            else:
                assert cell == "—", cell
    assert doc == TABLES
