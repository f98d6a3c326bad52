"""Join PDF pages into one file in bounded memory.

pypdf's PdfWriter keeps every page it is given in memory until write(): for the access copy of a 500-page
file that is the whole document (about 0.4 MB a page). `Joiner` writes each page and everything it refers to
as soon as the page is added and keeps only the objects' offsets, so its memory does not grow with the page
count. Pages are read with pypdf; the output is plain PDF 1.7 with a classic cross-reference table.

    with open(path, "wb") as fh, Joiner(fh) as joiner:
        joiner.add(reader)                      # every page of a PdfReader (shared fonts written once)
        joiner.add_page(page, ctm=(a, b, c, d, e, f))  # one page, its content under a transformation

Links between pages (annotations, outlines, structure) are not carried over: the documents joined here are
scans, forms and reports, which have none.
"""
from collections import deque

from pypdf.generic import DecodedStreamObject, EncodedStreamObject, IndirectObject, NameObject, StreamObject

INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")  # may sit on a page's parents instead
DROPPED = {"/Parent", "/Annots", "/B", "/StructParents", "/Thumb", "/PieceInfo", "/Metadata"}


class _Ref:
    def __init__(self, number):
        self.number = number


class Joiner:
    def __init__(self, fh):
        self.fh = fh
        self.offsets = [0]  # object number → byte offset; 0 is the head of the free list
        self.kids = []
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.pages_number = self._new()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()

    @property
    def page_count(self):
        return len(self.kids)

    def add(self, reader):
        """Every page of `reader`; objects the pages share (fonts, images) are written once."""
        numbers = {}
        for page in reader.pages:
            self.add_page(page, numbers=numbers)
        return len(reader.pages)

    def add_page(self, page, ctm=None, numbers=None):
        numbers = {} if numbers is None else numbers
        number = self._new()
        if page.indirect_reference is not None:
            numbers[_key(page.indirect_reference)] = number  # references to this page point to the copy
        entries = {key: value for key, value in page.items() if key not in DROPPED}
        for key in INHERITED:
            if key not in entries and (value := _inherited(page, key)) is not None:
                entries[key] = value
        entries["/Parent"] = _Ref(self.pages_number)
        if ctm is not None:
            entries["/Contents"] = _under(page, ctm)
        todo = deque()
        self._begin(number)
        self._value(entries, numbers, todo)
        self._end()
        while todo:
            self._object(*todo.popleft(), numbers, todo)
        self.kids.append(number)

    def close(self):
        write = self.fh.write
        self._begin(self.pages_number)
        write(b"<< /Type /Pages /Count %d /Kids [" % len(self.kids))
        for index, kid in enumerate(self.kids):
            write(b"%s%d 0 R" % (b"\n" if index % 10 == 0 else b" ", kid))
        write(b" ] >>")
        self._end()
        catalog = self._new()
        self._begin(catalog)
        write(b"<< /Type /Catalog /Pages %d 0 R >>" % self.pages_number)
        self._end()
        start = self.fh.tell()
        write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for offset in self.offsets[1:]:
            write(b"%010d 00000 n \n" % offset)
        write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self.offsets), catalog, start))

    # ------------------------------------------------------------------------------------------ writing

    def _new(self):
        self.offsets.append(None)
        return len(self.offsets) - 1

    def _begin(self, number):
        self.offsets[number] = self.fh.tell()
        self.fh.write(b"%d 0 obj\n" % number)

    def _end(self):
        self.fh.write(b"\nendobj\n")

    def _object(self, number, obj, numbers, todo):
        self._begin(number)
        if isinstance(obj, StreamObject):
            data = obj._data if isinstance(obj, EncodedStreamObject) else obj.get_data()  # as stored: no re-encoding
            entries = {key: value for key, value in obj.items() if key != "/Length"}
            entries["/Length"] = _Raw(b"%d" % len(data))
            self._value(entries, numbers, todo)
            self.fh.write(b"\nstream\n")
            self.fh.write(data)
            self.fh.write(b"\nendstream")
        else:
            self._value(obj, numbers, todo)
        self._end()

    def _value(self, value, numbers, todo):
        write = self.fh.write
        if isinstance(value, IndirectObject):
            number = self._reference(value, numbers, todo)
            write(b"null" if number is None else b"%d 0 R" % number)
        elif isinstance(value, _Ref):
            write(b"%d 0 R" % value.number)
        elif isinstance(value, _Raw):
            write(value.data)
        elif isinstance(value, StreamObject):  # a stream held directly: PDF wants it as an object of its own
            number = self._new()
            todo.append((number, value))
            write(b"%d 0 R" % number)
        elif isinstance(value, dict):
            write(b"<<")
            for key, item in value.items():
                write(b"\n")
                NameObject(key).write_to_stream(self.fh)
                write(b" ")
                self._value(item, numbers, todo)
            write(b"\n>>")
        elif isinstance(value, list):
            write(b"[")
            for item in value:
                write(b" ")
                self._value(item, numbers, todo)
            write(b" ]")
        elif value is None:
            write(b"null")
        else:
            value.write_to_stream(self.fh)

    def _reference(self, ref, numbers, todo):
        key = _key(ref)
        if key not in numbers:
            target = ref.get_object()
            if isinstance(target, dict) and target.get("/Type") in ("/Page", "/Pages"):
                return None  # a page that is not copied (or a page tree): not pulled in
            numbers[key] = self._new()
            todo.append((numbers[key], target))
        return numbers[key]


class _Raw:
    def __init__(self, data):
        self.data = data


def _key(ref):
    return ref.idnum, ref.generation


def _inherited(page, key):
    node, seen = page.get("/Parent"), 0
    while node is not None and seen < 64:
        node = node.get_object()
        if key in node:
            return node.raw_get(key)
        node, seen = node.get("/Parent"), seen + 1
    return None


def _under(page, ctm):
    """The page's content streams between `q <ctm> cm` and `Q`."""
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if isinstance(contents, IndirectObject) and isinstance(contents.get_object(), list):
        contents = contents.get_object()
    parts = list(contents) if isinstance(contents, list) else ([contents] if contents is not None else [])
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q " + b" ".join(b"%.6f" % float(v) for v in ctm) + b" cm\n")
    after.set_data(b"\nQ")
    return [before, *parts, after]
