"""Plain text for search and its snippets: a procedure's words without diagram source, markup or the legacy
import's garbled characters. A snippet cut from the flowchart's Mermaid source ("A[受理] --> B[开户]") or
from a pasted ```mermaid block reads as noise, so the diagram gives only its labels (受理、开户), which stay
searchable, and everything else loses its markup before it is indexed or cut."""
import html
import re

from .importer import GARBLED_RE

FENCE_RE = re.compile(r"```[ \t]*(\w*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
# the text of a node or an edge: A[text] A(text) A((text)) A{text} A>text] -->|text| A["text"]
LABEL_RE = re.compile(r"\[\[?\(?\"?([^\]\"]+)\"?\)?\]?\]|\(\(?\[?\"?([^)\"\]]+)\"?\]?\)?\)|\{\{?\"?([^}\"]+)\"?\}?\}"
                      r"|(?<=\w)>\"?([^\]\"]+)\"?\]|\|\"?([^|\"]+)\"?\|")
TAG_RE = re.compile(r"<[^>]{0,200}>")
MARKUP_RE = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S))|\*\*|__|~~|`+")
LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
NOISE_RE = re.compile(r"[\ue000-\uf8ff\ufffd\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")
DIAGRAM_WORDS = {"flowchart", "graph", "sequenceDiagram", "classDiagram", "stateDiagram", "stateDiagram-v2",
                 "gantt", "pie", "erDiagram", "journey", "mindmap", "timeline"}


def diagram_labels(source):
    """The words of a Mermaid diagram (its node and edge labels), in order, each once, joined by 、."""
    labels = []
    for match in LABEL_RE.finditer(source or ""):
        label = clean(next(g for g in match.groups() if g is not None))
        if label and label not in labels:
            labels.append(label)
    return "、".join(labels)


def _fence(match):
    kind, body = match.group(1).lower(), match.group(2)
    if kind == "mermaid" or (body.split() or [""])[0] in DIAGRAM_WORDS:
        return diagram_labels(body)
    return body


def clean(text):
    """`text` without Mermaid blocks (their labels kept), HTML, Markdown markup and garbled characters."""
    text = FENCE_RE.sub(_fence, text or "")
    text = LINK_RE.sub(r"\1", text)
    text = html.unescape(TAG_RE.sub(" ", text))
    text = MARKUP_RE.sub("", text)
    text = NOISE_RE.sub("", GARBLED_RE.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
