"""Chinese text for the database backend, the same way the Elasticsearch analyser sees it: words of
letters and digits, and CJK characters as single characters plus overlapping pairs (bigrams), so that
names and two-character words match without a dictionary."""
import re

from django.utils.html import escape

_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9A-Za-z\u00c0-\u024f]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _runs(text):
    for match in _RUN.finditer(text or ""):
        yield match.group().lower()


def index_terms(text):
    """Terms stored for a document: words, CJK characters and CJK bigrams."""
    out = []
    for run in _runs(text):
        if _CJK.match(run):
            out.extend(run)
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return " ".join(out)


def query_terms(text):
    """Terms a query needs (all of them): words, and CJK bigrams (a lone character as itself)."""
    out = []
    for run in _runs(text):
        if _CJK.match(run) and len(run) > 1:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return list(dict.fromkeys(out))


def snippet(body, words, width=60):
    """An HTML-safe excerpt of `body` around the first of `words`, each occurrence wrapped in <mark>.

    `body` is the stored text, masked before it was stored (registry.DocType.documents): a window cut here
    never opens an ID number so that part of it escapes masking."""
    body = body or ""
    words = [w for w in words if w]
    lowered = body.lower()
    first = min((p for p in (lowered.find(w.lower()) for w in words) if p >= 0), default=-1)
    start = max(0, first - width // 2) if first >= 0 else 0
    piece = body[start:start + 2 * width]
    if not words:
        return escape(piece)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    out, last = [], 0
    for match in pattern.finditer(piece):
        out.append(escape(piece[last:match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(piece[last:]))
    return ("…" if start else "") + "".join(out) + ("…" if start + 2 * width < len(body) else "")
