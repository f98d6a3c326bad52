"""A procedure's structured fields as labelled plain text: what the diff compares and the PDF prints, and
(search_text: the flowchart as its labels, markup removed, handbook/plain.py) what search indexes. One
place, so they agree."""
from django.utils.translation import gettext as _

from .plain import clean, diagram_labels
from .timelimits import label


def _stream(value):
    """A StreamField value (live) or its raw JSON list (from a revision) as plain dicts."""
    if value is None:
        return []
    if hasattr(value, "raw_data"):
        return [dict(block["value"]) for block in value.raw_data]
    return [dict(block.get("value", {})) for block in value]


def moment_line(m):
    limit = label({"value": m.get("limit_value"), "unit": m.get("limit_unit")}) \
        if m.get("limit_value") and m.get("limit_unit") else ""
    text = f"{m.get('when')}：{m.get('do')}" if m.get("when") else (m.get("do") or "")
    return f"{text}（{_('time limit')}：{limit}）" if limit else text


def sections(page, for_search=False):
    """[(label, [lines])] in reading order; `for_search`: the flowchart as its labels and every text without
    markup (handbook/plain.py)."""
    lines = _clean_lines if for_search else _lines
    department = getattr(page, "owner_department", None) if getattr(page, "owner_department_id", None) else None
    return [
        (_("Version"), [f"V{page.version}"]),
        (_("Change summary"), lines(page.change_summary)),
        (_("Owning department"), [str(department)] if department else []),
        (_("Owner"), lines(page.process_owner)),
        (_("Performers"), lines(page.performers)),
        (_("Collaborators"), lines(page.collaborators)),
        (_("Objective"), lines(page.objective)),
        (_("Scope"), lines(page.scope)),
        (_("Department / role responsibilities"),
         [f"{r.get('role')}：{r.get('duties') or ''}" for r in _stream(page.responsibilities)]),
        (_("Key moments"), [moment_line(m) for m in _stream(page.key_moments)]),
        ((_("Flowchart"), _lines(diagram_labels(page.flowchart))) if for_search
         else (_("Flowchart (Mermaid source)"), _lines(page.flowchart))),
        (_("Related forms"), [f"{f.get('name')} {f.get('note') or ''}".strip() for f in _stream(page.related_forms)]),
    ]


def _lines(text):
    return [line for line in (text or "").splitlines() if line.strip()]


def _clean_lines(text):
    return _lines(clean(text))


def flat_text(page):
    parts = [page.title]
    for heading, lines in sections(page):
        if lines:
            parts.append(heading)
            parts.extend(lines)
    return "\n".join(parts)


def search_text(page):
    """flat_text for search and its snippets: the flowchart gives its labels, never its Mermaid source, and
    no line keeps markup or garbled characters."""
    parts = [clean(page.title)]
    for heading, lines in sections(page, for_search=True):
        lines = [line for line in (clean(x) for x in lines) if line]  # the stream fields' lines too
        if lines:
            parts.append(heading)
            parts.extend(lines)
    return "\n".join(parts)
