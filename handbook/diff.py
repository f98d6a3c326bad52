"""A readable diff between two versions of a procedure, field by field (never raw JSON)."""
import difflib

from .fields import sections


def compare(old, new):
    """[{"label", "changed", "lines": [("same"|"removed"|"added", text)]}] for every section."""
    result = []
    for (heading, before), (_heading, after) in zip(sections(old), sections(new)):
        lines = []
        for op in difflib.ndiff(before, after):
            tag, text = op[:2], op[2:]
            if tag == "  ":
                lines.append(("same", text))
            elif tag == "- ":
                lines.append(("removed", text))
            elif tag == "+ ":
                lines.append(("added", text))
        result.append({"label": heading, "changed": before != after, "lines": lines})
    title_changed = old.title != new.title
    if title_changed:
        result.insert(0, {"label": "标题", "changed": True,
                          "lines": [("removed", old.title), ("added", new.title)]})
    return result
