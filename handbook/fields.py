"""A procedure's structured fields as labelled plain text: what search indexes, the diff compares and the
PDF prints. One place, so the three agree."""
from django.utils.translation import gettext as _

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


def sections(page):
    """[(label, [lines])] in reading order."""
    department = getattr(page, "owner_department", None) if getattr(page, "owner_department_id", None) else None
    return [
        (_("Version"), [f"V{page.version}"]),
        (_("Change summary"), _lines(page.change_summary)),
        (_("Owning department"), [str(department)] if department else []),
        (_("Owner"), _lines(page.process_owner)),
        (_("Performers"), _lines(page.performers)),
        (_("Collaborators"), _lines(page.collaborators)),
        (_("Objective"), _lines(page.objective)),
        (_("Scope"), _lines(page.scope)),
        (_("Department / role responsibilities"),
         [f"{r.get('role')}：{r.get('duties') or ''}" for r in _stream(page.responsibilities)]),
        (_("Key moments"), [moment_line(m) for m in _stream(page.key_moments)]),
        (_("Flowchart (Mermaid source)"), _lines(page.flowchart)),
        (_("Related forms"), [f"{f.get('name')} {f.get('note') or ''}".strip() for f in _stream(page.related_forms)]),
    ]


def _lines(text):
    return [line for line in (text or "").splitlines() if line.strip()]


def flat_text(page):
    parts = [page.title]
    for heading, lines in sections(page):
        if lines:
            parts.append(heading)
            parts.extend(lines)
    return "\n".join(parts)
