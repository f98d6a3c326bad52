"""A persistent Tesseract engine: libtesseract loaded once, in its own process, reading page after page.

The `tesseract` command loads the chi_sim+eng models again for every page (about 0.2 s of a 0.5-2 s page).
This module keeps that work to once per engine: the worker starts one engine process per OCR thread
(`borrowed()`), sends it one request per page over a pipe and gets the text, the word confidences and the
page's text-only PDF (the same renderer the `tesseract ... pdf` command uses). Tesseract runs in a child
process, as the command did, so a crash in the library cannot take the worker down and its memory is not
the worker's. An engine exits when its parent dies or after `IDLE_SECONDS` without work; a dead engine is
replaced transparently. Where libtesseract cannot be loaded, `available()` is False and records.ocr runs
the `tesseract` command instead.

Run as a script (no Django): python records/engine.py --lang chi_sim+eng --psm 4 --dpi 300 [-c NAME=VALUE]...
Protocol: one JSON object per line each way. {"image": PATH, "out": BASE} → {"text", "confidences"} and
BASE.pdf written, or {"error": MESSAGE}. The first line an engine writes is {"ready": true} or {"error"}.
"""
import json
import logging
import os
import select
import subprocess
import sys
import threading
from contextlib import contextmanager

logger = logging.getLogger(__name__)
IDLE_SECONDS = 120
START_TIMEOUT = 60


class EngineError(Exception):
    pass


# ---------------------------------------------------------------- the engine process (no Django in here)

LIBRARIES = ("libtesseract.so.5", "liblept.so.5")  # Debian's libtesseract5 and liblept5 (tesseract-ocr's own)


def _library(libraries):
    import ctypes

    ptr, text = ctypes.c_void_p, ctypes.c_char_p
    tess, lept = (ctypes.CDLL(name) for name in libraries)
    signatures = {
        (lept, "pixRead"): (ptr, [text]),
        (lept, "pixDestroy"): (None, [ctypes.POINTER(ptr)]),
        (tess, "TessBaseAPICreate"): (ptr, []),
        (tess, "TessBaseAPIInit3"): (ctypes.c_int, [ptr, text, text]),
        (tess, "TessBaseAPISetVariable"): (ctypes.c_int, [ptr, text, text]),
        (tess, "TessBaseAPISetPageSegMode"): (None, [ptr, ctypes.c_int]),
        (tess, "TessBaseAPIGetDatapath"): (text, [ptr]),
        (tess, "TessBaseAPIProcessPage"): (ctypes.c_int, [ptr, ptr, ctypes.c_int, text, text, ctypes.c_int, ptr]),
        (tess, "TessBaseAPIGetUTF8Text"): (ctypes.POINTER(ctypes.c_char), [ptr]),
        (tess, "TessDeleteText"): (None, [ctypes.POINTER(ctypes.c_char)]),
        (tess, "TessBaseAPIAllWordConfidences"): (ctypes.POINTER(ctypes.c_int), [ptr]),
        (tess, "TessDeleteIntArray"): (None, [ctypes.POINTER(ctypes.c_int)]),
        (tess, "TessPDFRendererCreate"): (ptr, [text, text, ctypes.c_int]),
        (tess, "TessResultRendererBeginDocument"): (ctypes.c_int, [ptr, text]),
        (tess, "TessResultRendererEndDocument"): (ctypes.c_int, [ptr]),
        (tess, "TessDeleteResultRenderer"): (None, [ptr]),
        (tess, "TessBaseAPIClear"): (None, [ptr]),
    }
    for (lib, name), (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return ctypes, lept, tess


class _Reader:
    """One TessBaseAPI, initialised once."""

    def __init__(self, lang, psm, dpi, variables, libraries=LIBRARIES):
        self.ctypes, self.lept, self.tess = _library(libraries)
        self.api = self.tess.TessBaseAPICreate()
        if self.tess.TessBaseAPIInit3(self.api, None, lang.encode()) != 0:
            raise EngineError(f"Tesseract could not load the language data {lang}")
        for name, value in [("user_defined_dpi", str(dpi)), *variables]:
            if not self.tess.TessBaseAPISetVariable(self.api, name.encode(), value.encode()):
                raise EngineError(f"Tesseract has no variable {name}")
        self.tess.TessBaseAPISetPageSegMode(self.api, int(psm))
        self.datapath = self.tess.TessBaseAPIGetDatapath(self.api)

    def read(self, image, out):
        ctypes, tess = self.ctypes, self.tess
        pix = self.lept.pixRead(image.encode())
        if not pix:
            return {"error": f"Tesseract could not open the page image {os.path.basename(image)}"}
        renderer = tess.TessPDFRendererCreate(out.encode(), self.datapath, 1)  # text layer only
        try:
            if not renderer or not tess.TessResultRendererBeginDocument(renderer, b""):
                return {"error": f"Tesseract could not write {out}.pdf"}
            if not tess.TessBaseAPIProcessPage(self.api, pix, 0, image.encode(), None, 0, renderer):
                return {"error": "Tesseract could not read the page"}
            if not tess.TessResultRendererEndDocument(renderer):
                return {"error": f"Tesseract could not write {out}.pdf"}
            raw = tess.TessBaseAPIGetUTF8Text(self.api)
            text = ctypes.string_at(raw).decode("utf-8", errors="replace") if raw else ""
            if raw:
                tess.TessDeleteText(raw)
            confidences, array = [], tess.TessBaseAPIAllWordConfidences(self.api)
            if array:
                while array[len(confidences)] != -1:
                    confidences.append(array[len(confidences)])
                tess.TessDeleteIntArray(array)
            return {"text": text, "confidences": confidences}
        finally:
            if renderer:
                tess.TessDeleteResultRenderer(renderer)
            self.lept.pixDestroy(ctypes.byref(ctypes.c_void_p(pix)))
            tess.TessBaseAPIClear(self.api)


def _orphan_watch(parent):
    """Exit as soon as the process that started this engine is gone (even killed with SIGKILL)."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        threading.Event().wait(0.2)


def serve(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="persistent Tesseract engine (see records/engine.py)")
    parser.add_argument("--lang", required=True)
    parser.add_argument("--psm", default="3")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    parser.add_argument("--parent", type=int, default=os.getppid())
    parser.add_argument("-c", dest="variables", action="append", default=[])
    parser.add_argument("--libraries", nargs=2, default=LIBRARIES, metavar=("TESSERACT", "LEPTONICA"))
    args = parser.parse_args(argv)
    threading.Thread(target=_orphan_watch, args=(args.parent,), daemon=True).start()
    out = os.fdopen(os.dup(1), "w")  # the answers' own channel: whatever the libraries print goes to stderr
    os.dup2(2, 1)

    def answer(message):
        out.write(json.dumps(message) + "\n")  # ASCII whatever the locale
        out.flush()

    try:
        reader = _Reader(args.lang, args.psm, args.dpi, [v.split("=", 1) for v in args.variables], args.libraries)
    except (OSError, AttributeError, EngineError) as exc:
        answer({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    answer({"ready": True})
    while select.select([sys.stdin], [], [], args.idle)[0]:
        line = sys.stdin.readline()
        if not line:
            return 0  # the worker closed the pipe
        try:
            request = json.loads(line)
            answer(reader.read(request["image"], request["out"]))
        except (ValueError, KeyError, TypeError) as exc:
            answer({"error": f"bad request: {exc}"})
    return 0  # idle: the worker starts a new engine when it needs one


# ---------------------------------------------------------------- the worker's side

class Engine:
    """The worker's handle on one engine process."""

    def __init__(self, lang, psm, dpi, variables=(), idle=IDLE_SECONDS, libraries=LIBRARIES):
        command = [sys.executable, os.path.abspath(__file__), "--lang", lang, "--psm", str(psm), "--dpi", str(dpi),
                   "--parent", str(os.getpid()), "--idle", str(idle), "--libraries", *libraries]
        for name, value in variables:
            command += ["-c", f"{name}={value}"]
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per page; the worker runs pages in parallel
        try:
            self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env, close_fds=True)
        except OSError as exc:
            raise EngineError(f"the Tesseract engine could not start ({exc})") from exc
        self.buffer = b""
        first = self._receive(START_TIMEOUT)
        if not first.get("ready"):
            self.close()
            raise EngineError(first.get("error") or "the Tesseract engine did not start")

    def alive(self):
        return self.proc.poll() is None

    def _receive(self, timeout):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            if not select.select([fd], [], [], timeout)[0]:
                self.close()
                raise EngineError(f"Tesseract gave no answer within {timeout:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                code = self.proc.wait()
                raise EngineError(f"the Tesseract engine stopped (exit status {code})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError as exc:
            self.close()
            raise EngineError(f"the Tesseract engine gave an unreadable answer ({exc})") from exc

    def read(self, image, out, timeout=600):
        """OCR one page image → {"text", "confidences"}; writes out + ".pdf" (text layer only)."""
        try:
            self.proc.stdin.write(json.dumps({"image": str(image), "out": str(out)}).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise EngineError(f"the Tesseract engine stopped ({exc})") from exc
        answer = self._receive(timeout)
        if "error" in answer:
            raise EngineError(answer["error"])
        return answer

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class Pool:
    """Engines of one configuration, lent to one thread at a time and kept for the next page."""

    def __init__(self, lang, psm, dpi, variables=(), idle=IDLE_SECONDS, libraries=LIBRARIES):
        self.config = (lang, psm, dpi, tuple(variables), idle, tuple(libraries))
        self.idle = []
        self.lock = threading.Lock()
        self.broken = None  # why engines cannot start here (then callers use the tesseract command)

    def available(self):
        if self.broken is None:
            try:
                with self.borrowed():
                    pass
                self.broken = ""
            except EngineError as exc:
                self.broken = str(exc)
                logger.warning("Tesseract engines unavailable (%s); using the tesseract command", exc)
        return not self.broken

    @contextmanager
    def borrowed(self):
        with self.lock:
            while self.idle and not self.idle[-1].alive():
                self.idle.pop()
            engine = self.idle.pop() if self.idle else None
        engine = engine or Engine(*self.config)
        try:
            yield engine
        except BaseException:
            engine.close()  # its state is unknown: never lend it again
            raise
        with self.lock:
            self.idle.append(engine)

    def read(self, image, out, timeout=600):
        """Read one page with a lent engine; an engine that ended while idle is replaced once."""
        for attempt in (1, 2):
            with self.borrowed() as engine:
                fresh = attempt == 2
                try:
                    return engine.read(image, out, timeout)
                except EngineError:
                    if fresh or engine.alive():
                        raise
            # the engine had stopped (idle exit) before this page: try once with a new one

    def close(self):
        with self.lock:
            engines, self.idle = self.idle, []
        for engine in engines:
            engine.close()


if __name__ == "__main__":
    sys.exit(serve())
