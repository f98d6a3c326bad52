"""A persistent Tesseract engine: libtesseract loaded once, in its own process, reading page after page.

The `tesseract` command loads the chi_sim+eng models again for every page (about 0.2 s of a 0.5-2 s page).
This module keeps that work to once per engine: the worker starts one engine process per OCR thread
(`borrowed()`), sends it one request per page over a pipe and gets the text, the word confidences and the
page's text-only PDF (the same renderer the `tesseract ... pdf` command uses). Tesseract runs in a child
process, as the command did, so a crash in the library cannot take the worker down and its memory is not
the worker's. An engine exits when its parent dies or after `IDLE_SECONDS` without work; a dead engine is
replaced transparently. Where libtesseract cannot be loaded, `available()` is False and records.ocr runs
the `tesseract` command instead. The engine binds Debian's own libtesseract (the one behind that command)
with ctypes rather than through the tesserocr wheel, which bundles another Tesseract (5.5) and libraries: the
fallback command and the engine must read a page the same way (tests/records/test_engine.py).

Run as a script (no Django): python records/engine.py --lang chi_sim+eng --psm 4 --dpi 300 [-c NAME=VALUE]...
Protocol: one JSON object per line each way. {"image": PATH, "out": BASE} → {"text", "confidences", "tsv"}
(the word boxes) and BASE.pdf written, or {"error": MESSAGE}; {"cells": [{"image", "lang", "psm",
"whitelist"}]} → {"cells": [{"text", "confidences"}]}: small images re-read one by one (records.cellread),
each language loaded once in a second TessBaseAPI. The first line an engine writes is {"ready": true} or {"error"}.
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
        (tess, "TessBaseAPIGetTsvText"): (ctypes.POINTER(ctypes.c_char), [ptr, ctypes.c_int]),
        (tess, "TessBaseAPISetImage2"): (None, [ptr, ptr]),
        (tess, "TessBaseAPISetSourceResolution"): (None, [ptr, ctypes.c_int]),
        (tess, "TessBaseAPIRecognize"): (ctypes.c_int, [ptr, ptr]),
    }
    for (lib, name), (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return ctypes, lept, tess


class _Reader:
    """One TessBaseAPI, initialised once."""

    def __init__(self, lang, psm, dpi, variables, libraries=LIBRARIES):
        self.ctypes, self.lept, self.tess = _library(libraries)
        self.dpi, self.variables = dpi, variables
        self.api = self._api(lang)
        self.tess.TessBaseAPISetPageSegMode(self.api, int(psm))
        self.datapath = self.tess.TessBaseAPIGetDatapath(self.api)
        self.cell_apis = {}  # language → a second TessBaseAPI for re-reading single cells (records.cellread)

    def _api(self, lang):
        api = self.tess.TessBaseAPICreate()
        if self.tess.TessBaseAPIInit3(api, None, lang.encode()) != 0:
            raise EngineError(f"Tesseract could not load the language data {lang}")
        for name, value in [("user_defined_dpi", str(self.dpi)), *self.variables]:
            if not self.tess.TessBaseAPISetVariable(api, name.encode(), value.encode()):
                raise EngineError(f"Tesseract has no variable {name}")
        return api

    def _text(self, raw):
        text = self.ctypes.string_at(raw).decode("utf-8", errors="replace") if raw else ""
        if raw:
            self.tess.TessDeleteText(raw)
        return text

    def _confidences(self, api):
        confidences, array = [], self.tess.TessBaseAPIAllWordConfidences(api)
        if array:
            while array[len(confidences)] != -1:
                confidences.append(array[len(confidences)])
            self.tess.TessDeleteIntArray(array)
        return confidences

    def cells(self, requests):
        """Read small images one by one, each with its own language, segmentation mode and characters."""
        answers = []
        for request in requests:
            lang = request.get("lang", "chi_sim")
            if lang not in self.cell_apis:
                self.cell_apis[lang] = self._api(lang)
            api = self.cell_apis[lang]
            pix = self.lept.pixRead(str(request["image"]).encode())
            if not pix:
                answers.append({"text": "", "confidences": []})
                continue
            try:
                self.tess.TessBaseAPISetVariable(api, b"tessedit_char_whitelist",
                                                 request.get("whitelist", "").encode())
                self.tess.TessBaseAPISetPageSegMode(api, int(request.get("psm", 7)))
                self.tess.TessBaseAPISetImage2(api, pix)
                self.tess.TessBaseAPISetSourceResolution(api, self.dpi)
                if self.tess.TessBaseAPIRecognize(api, None) != 0:
                    answers.append({"text": "", "confidences": []})
                    continue
                answers.append({"text": self._text(self.tess.TessBaseAPIGetUTF8Text(api)).strip(),
                                "confidences": self._confidences(api)})
            finally:
                self.lept.pixDestroy(self.ctypes.byref(self.ctypes.c_void_p(pix)))
                self.tess.TessBaseAPIClear(api)
        return {"cells": answers}

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
            text = self._text(tess.TessBaseAPIGetUTF8Text(self.api))
            tsv = self._text(tess.TessBaseAPIGetTsvText(self.api, 0))
            return {"text": text, "confidences": self._confidences(self.api), "tsv": tsv}
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
            if "cells" in request:
                answer(reader.cells(request["cells"]))
            else:
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
        """OCR one page image → {"text", "confidences", "tsv"}; writes out + ".pdf" (text layer only)."""
        return self._ask({"image": str(image), "out": str(out)}, timeout)

    def cells(self, requests, timeout=120):
        """Re-read small images (records.cellread) → [{"text", "confidences"}] in the same order."""
        return self._ask({"cells": requests}, timeout)["cells"]

    def _ask(self, request, timeout):
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
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

    def cells(self, requests, timeout=120):
        """Re-read small images with a lent engine (replaced once if it had stopped while idle)."""
        for attempt in (1, 2):
            with self.borrowed() as engine:
                try:
                    return engine.cells(requests, timeout)
                except EngineError:
                    if attempt == 2 or engine.alive():
                        raise

    def close(self):
        with self.lock:
            engines, self.idle = self.idle, []
        for engine in engines:
            engine.close()


if __name__ == "__main__":
    sys.exit(serve())
