"""Read a letter, decode it, repair the PDF-extraction damage, keep an exact map back.

``read_document(path)`` decodes a ``.txt`` (UTF-8 with or without BOM, UTF-16 with BOM,
cp1252 as a fallback), extracts the text layer of a ``.pdf`` (pypdf) or renders an
officielebekendmakingen ``.xml`` (lxml), and hands the decoded text to :func:`normalise`.
``SourceDocument.original`` is that decoded text and every offset in the graph refers to it;
``SourceDocument.text`` is the repaired text the NLP stages read, and
``SourceDocument.original_span`` maps a span of ``text`` back to ``original``.

Normalisation rules (all general; nothing is written for one letter)
--------------------------------------------------------------------
Lines
    Line breaks are ``\\r\\n``, ``\\r``, ``\\n`` and the other ``str.splitlines`` breaks;
    ``original`` keeps them as they are and the map points into it. A form feed is a page
    break. Inside a line: C0/C1 control characters, soft hyphens (U+00AD), zero-width
    spaces, word joiners and stray BOMs are dropped; any run of whitespace (tabs,
    non-breaking spaces, ...) becomes one space; lines are stripped. A line that starts
    with whitespace, or follows a form feed, is taken as the first line of a PDF page.
    Characters are otherwise left alone (no NFC: it would break the one-to-one map).
Page furniture (set apart: not in ``text``, spans in ``furniture``)
    bracketed placeholder lines (``[Afzender]``, ``[Ondertekenaar 2]``); reference labels
    (``Onze referentie``, ``Ons kenmerk``, ``Uw brief``, ...) with the code on the next
    non-blank line (``BZDOC-142826276-26``); page numbers (``Pagina 2 van 5``, ``- 2 -``,
    a bare number next to a form feed); and running headers: a short line that is not a
    sentence (nor a name, date, footnote or hyphen-ended line), does not start in lower
    case and occurs at least twice, every time as the
    first or last line of a page (next to a page-start line, a form feed or other furniture).
    Salutation, place/date line, addressee and signature stay in ``text``.
Footnotes (moved after the body, ``footnotes`` and ``markers``)
    A footnote block starts at a line ``<1-99> <text>``; its continuation lines follow
    without a blank line; further footnotes may follow, numbered one up. The block is
    accepted only when it ends at a page boundary (a page-start line, page furniture, a
    form feed, or the end of the document) and either follows a blank line (or furniture)
    with its first number one more than the previous footnote's, or has a marker candidate
    for its first number earlier on the page (PDF text layers have no blank lines; such a
    footnote has at most five continuation lines).
    A marker is a number 1-99 glued to the end of a word of two or more letters with a
    lower-case letter (``steun1``, ``Haga1,``) or to a punctuation mark after a letter
    (``geïnformeerd.1``; not after ``nr.``, ``art.``, ``blz.``, ...),
    not followed by a letter, digit, ``%``, ``°`` or hyphen, matching the number of a
    footnote, and on that footnote's page: after the previous footnote region and the
    previous footnote's marker, before its own region. The nearest such candidate is
    removed from the body and recorded. ``2%``, ``28 676``, ``nr. 404``,
    ``11e``, ``NAVO2030`` and ``G7`` never qualify.
Paragraphs
    Lines are joined with one space (which maps to the line break it replaces). A blank
    line ends a paragraph -- unless the gap holds removed material (footnotes, furniture,
    a form feed) or the next line starts a page, the previous line does not end a sentence
    and the next one starts in lower case (or with ``,;:)``; or a digit after a lower-case
    word or comma), or the previous line ends in a hyphen: then the page break fell
    mid-paragraph and the text is joined (``welwillend`` ... footnote ... ``tegenover.``).
    Within a block of lines, a paragraph also ends after a sentence-final line that is
    short (< 70 % of the document's 90th-percentile line length) when the next line starts
    with a capital or digit, before a heading, before a bullet after ``.:;!?``, and between a
    role line ending in a comma and a name line (``De Minister van Defensie,`` /
    ``K.H. Ollongren``).
Headings (``Paragraph.heading``)
    At a paragraph start, 1-4 lines (<= 250 characters) that start with a capital or digit,
    none of which ends in ``.!?…:;,`` or holds a sentence end (``word. Capital``); either the
    whole rest of the block (up to the next blank line), or lines followed by a line that
    starts with a capital letter, where the
    last heading line is short or in capitals and does not end in a function word
    (``de``, ``van``, ...). Name lines (``W.B. Hoekstra``) and date lines
    (``Den Haag, 26 februari 2022``) are never headings.
Hyphenation at a line end (``X-`` / ``Y``), decided in this order
    1. an isolated dash (``–``, or ``-`` after a non-alphanumeric) stays and gets a space;
    2. a suspended hyphen before ``en``/``of``/``tot`` (``Oost-`` / ``en Noordzee``) stays,
       with a space;
    3. document evidence: if exactly one of ``X-Y`` and ``XY`` occurs elsewhere in the
       document (case-insensitively, as a whole token on one line), use that form;
    4. ``Y`` starts with a digit, ``X`` contains a digit, or ``X`` is one letter: keep;
    5. both fragments in capitals (a title): keep only if ``X`` is a token elsewhere
       in the document (an acronym such as ``NAVO``), else join (``MINIS-``/``TERIËLE``);
    6. ``Y`` starts with a capital (``Euro-Atlantisch``, ``trans-Atlantische``): keep;
    7. ``X`` is an acronym (two or more capitals: ``NAVO-top``, ``EU-landen``): keep;
    8. ``X`` is a prefix that keeps its hyphen (``non``, ``niet``, ``ex``, ``anti``, ``oud``,
       ``vice``, ``semi``, ``quasi``, ``pseudo``): keep;
    9. ``X`` is a weaker prefix (``pro``, ``co``, ``trans``, ``post``, ``pre``, ``inter``,
       ``multi``, ``sub``, ``super``, ...) and ``Y`` is a word of the document: keep;
    10. ``X`` ends and ``Y`` starts with the same vowel (``zee-eend``, ``na-apen``): keep;
    11. otherwise join (``ontwikke-``/``lingen`` -> ``ontwikkelingen``).
    A soft hyphen at a line end always joins.

The offset map
--------------
Every character of ``text`` maps to one character of ``original``: copied characters to
themselves, a space that joins two lines or replaces a run of whitespace to the first
whitespace character it replaces, paragraph separators ``\\n\\n`` to a line break.
Within the body the map is non-decreasing; each footnote is mapped the same way.
Guaranteed invariants (tested): ``text[i] == original[m(i)]`` or both are whitespace;
and for every whitespace-delimited token ``w`` of ``text`` at ``[s, e)``, the characters of
``original_text(s, e)`` outside furniture and footnote blocks, with whitespace, hyphens and
dropped characters removed, equal those of ``w`` with the markers recorded strictly inside
``(s, e)`` put back, likewise cleaned. The map is stored as runs: two ``array('q')`` of
run starts, one entry per run (about one per line), not per character.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

__all__ = [
    "IngestError",
    "Footnote",
    "Paragraph",
    "SourceDocument",
    "read_document",
    "normalise",
    "iter_documents",
    "DEFAULT_MAX_BYTES",
]

DEFAULT_MAX_BYTES = 50 * 2**20


class IngestError(Exception):
    """A file that cannot be read as a letter. ``str(e) == f"{path}: {reason}"``."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = str(reason)
        super().__init__(f"{self.path}: {self.reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IngestError):
            return NotImplemented
        return (self.path, self.reason) == (other.path, other.reason)

    def __hash__(self) -> int:
        return hash((self.path, self.reason))


@dataclass
class Footnote:
    marker: str
    start: int  # span of the footnote text in SourceDocument.text
    end: int


@dataclass
class Paragraph:
    start: int  # span in SourceDocument.text
    end: int
    heading: bool


@dataclass
class SourceDocument:
    doc_id: str
    path: Path | None
    original: str
    text: str
    encoding: str
    sha256: str
    paragraphs: list[Paragraph]
    footnotes: list[Footnote]
    body_end: int
    markers: list[tuple[str, int]]
    furniture: list[tuple[int, int]]
    # Extra (not in the first interface sketch): spans in ORIGINAL of each whole footnote
    # block, number included, parallel to ``footnotes``.
    footnote_blocks: list[tuple[int, int]] = field(default_factory=list)
    _seg_t: array = field(default_factory=lambda: array("q"), repr=False, compare=False)
    _seg_o: array = field(default_factory=lambda: array("q"), repr=False, compare=False)

    @property
    def body(self) -> str:
        return self.text[: self.body_end]

    def original_offset(self, i: int) -> int:
        """The index in ``original`` of ``text[i]`` (``0 <= i < len(text)``)."""
        k = bisect_right(self._seg_t, i) - 1
        return self._seg_o[k] + (i - self._seg_t[k])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Normalised ``[start, end)`` -> the smallest original ``[start, end)`` covering it."""
        n = len(self.text)
        if not (0 <= start <= end <= n):
            raise ValueError(f"span {start}-{end} outside text of length {n}")
        if start == end:
            if n == 0:
                return (0, 0)
            p = self.original_offset(start) if start < n else self.original_offset(n - 1) + 1
            return (p, p)
        seg_t, seg_o = self._seg_t, self._seg_o
        k1 = bisect_right(seg_t, start) - 1
        k2 = bisect_right(seg_t, end - 1) - 1
        lo = seg_o[k1] + (start - seg_t[k1])
        hi = seg_o[k2] + (end - 1 - seg_t[k2]) + 1
        if k1 == k2 or end <= self.body_end:
            return (lo, hi)  # one run, or inside the body where the map is monotone
        for k in range(k1 + 1, k2 + 1):  # crosses body/footnotes: take the hull
            lo = min(lo, seg_o[k])
        for k in range(k1, k2):
            hi = max(hi, seg_o[k] + (seg_t[k + 1] - seg_t[k]))
        return (lo, hi)

    def original_text(self, start: int, end: int) -> str:
        a, b = self.original_span(start, end)
        return self.original[a:b]


# --------------------------------------------------------------------------- reading

_PDF_MAGIC = b"%PDF-"


def read_document(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceDocument:
    """Read, decode and normalise one letter (``.txt``, ``.pdf`` or ``.xml``)."""
    path = Path(path)
    raw = _read_bytes(path, max_bytes)
    digest = hashlib.sha256(raw).hexdigest()
    if not raw:
        raise IngestError(path, "empty file")
    if raw.startswith(_PDF_MAGIC) or (path.suffix.lower() == ".pdf" and _PDF_MAGIC in raw[:1024]):
        original = _pdf_text(path, raw)
        return normalise(original, path.stem, path, encoding="pdf", sha256=digest)
    if path.suffix.lower() == ".pdf":
        raise IngestError(path, "not a PDF: no %PDF- header")
    if path.suffix.lower() == ".xml":
        original, hints = _xml_text(path, raw)
        return normalise(original, path.stem, path, encoding="xml", sha256=digest, _hints=hints)
    original, encoding = _decode(path, raw)
    return normalise(original, path.stem, path, encoding=encoding, sha256=digest)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IngestError(path, "no such file") from None
    except OSError as e:
        raise IngestError(path, f"cannot read: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(path, "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(path, "not a regular file")
    if st.st_size > max_bytes:
        raise IngestError(path, f"file is {st.st_size} bytes, larger than the limit of {max_bytes} bytes")
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        raise IngestError(path, f"cannot read: {e.strerror or e}") from None
    if len(raw) > max_bytes:
        raise IngestError(path, f"file is more than {max_bytes} bytes, larger than the limit of {max_bytes} bytes")
    return raw


_CTRL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13)) + b"\x7f"
# control characters of decoded text: C0 but tab, line feed, form feed and carriage return; DEL; C1
_CTRL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        try:
            text, enc = raw.decode("utf-32"), "utf-32"
        except UnicodeDecodeError as e:
            raise IngestError(path, f"undecodable: invalid UTF-32 ({e.reason} at byte {e.start})") from None
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, enc = raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise IngestError(path, f"undecodable: invalid UTF-16 ({e.reason} at byte {e.start})") from None
    else:
        if b"\x00" in raw:
            raise IngestError(path, "binary content: NUL bytes and no UTF-16 byte order mark")
        ctrl = len(raw) - len(raw.translate(None, _CTRL_BYTES))
        if ctrl > 0.05 * len(raw):
            raise IngestError(path, f"binary content: {100 * ctrl // len(raw)}% control bytes")
        if raw.startswith(b"\xef\xbb\xbf"):
            try:
                text, enc = raw.decode("utf-8-sig"), "utf-8-sig"
            except UnicodeDecodeError as e:
                raise IngestError(path, f"undecodable: UTF-8 BOM but invalid UTF-8 ({e.reason} at byte {e.start})") from None
        else:
            try:
                text, enc = raw.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                try:
                    text, enc = raw.decode("cp1252"), "cp1252"
                except UnicodeDecodeError as e:
                    raise IngestError(
                        path, f"undecodable: neither UTF-8 nor cp1252 (byte 0x{raw[e.start]:02x} at {e.start})"
                    ) from None
    if not text.strip():
        raise IngestError(path, "file contains only whitespace")
    ctrl = len(_CTRL_CHARS.findall(text))
    if ctrl > 0.05 * len(text):
        raise IngestError(path, f"binary content: {100 * ctrl // len(text)}% control characters")
    return text, enc


def _pdf_text(path: Path, raw: bytes) -> str:
    try:
        import pypdf
    except ImportError as e:  # pragma: no cover - pypdf is a dependency
        raise IngestError(path, f"cannot read PDF: {e}") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise IngestError(path, "encrypted PDF")
        pages = []
        for page in reader.pages:
            t = page.extract_text() or ""
            pages.append(t.rstrip("\n"))
    except IngestError:
        raise
    except Exception as e:  # pypdf raises many kinds on broken files
        raise IngestError(path, f"not a readable PDF: {type(e).__name__}: {e}") from None
    if not any(p.strip() for p in pages):
        raise IngestError(path, f"PDF without a text layer ({len(pages)} page(s), no extractable text; scanned?)")
    return "\n\f\n".join(pages)


@dataclass
class _Hints:
    """Structure known from the source (XML): overrides the layout heuristics."""

    headings: set[int]  # original offsets of heading line starts
    footnotes: dict[int, str]  # original offset of a footnote line start -> marker
    markers: list[tuple[int, int, str]]  # (start, end, marker) in original


_XML_SKIP = {"metadata", "meta", "kamerstukkop"}
_XML_HEADINGS = {"kop", "tussenkop", "titel", "kopregel"}
_XML_SPACED = {"nr", "titel", "label", "li.nr", "al", "kopregel", "tekstregel", "functie", "naam"}


def _xml_text(path: Path, raw: bytes) -> tuple[str, _Hints]:
    try:
        from lxml import etree
    except ImportError as e:  # pragma: no cover
        raise IngestError(path, f"cannot read XML: {e}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as e:
        raise IngestError(path, f"not well-formed XML: {e}") from None
    if root is None:
        raise IngestError(path, "empty XML document")

    blocks: list[tuple[str, list[tuple[int, str]], bool]] = []  # (text, markers, heading)
    notes: list[tuple[str, str]] = []

    def local(el) -> str:
        t = el.tag
        return etree.QName(t).localname if isinstance(t, str) else ""

    def note(el) -> str:
        nr = ""
        parts = []
        for c in el:
            if local(c) == "noot.nr":
                nr = " ".join("".join(c.itertext()).split())
            elif isinstance(c.tag, str):
                parts.append(inline(c)[0])
        nr = nr or str(len(notes) + 1)
        notes.append((nr, " ".join(p for p in parts if p)))
        return nr

    def inline(el) -> tuple[str, list[tuple[int, str]]]:
        out: list[str] = [el.text or ""]
        sent: list[str] = []

        def walk(e):
            for c in e:
                name = local(c)
                if name == "noot":
                    sent.append(note(c))
                    out.append(f"\ue000{len(sent) - 1}\ue001")
                elif name in ("noot.nr",):
                    pass
                elif isinstance(c.tag, str):
                    spaced = name in _XML_SPACED  # <kop><nr>2.</nr><titel>China</titel></kop>
                    out.append(" " if spaced else "")
                    out.append(c.text or "")
                    walk(c)
                    out.append(" " if spaced else "")
                out.append(c.tail or "")

        walk(el)
        s = " ".join("".join(out).split())
        s = re.sub(r"\s+(?=\ue000)", "", s)
        res: list[str] = []
        markers: list[tuple[int, str]] = []
        pos = 0
        n = 0
        for m in re.finditer("\ue000(\\d+)\ue001", s):
            res.append(s[pos:m.start()])
            n += m.start() - pos
            mk = sent[int(m.group(1))]
            markers.append((n, mk))
            res.append(mk)
            n += len(mk)
            pos = m.end()
        res.append(s[pos:])
        return "".join(res), markers

    def has_direct_text(el) -> bool:
        if (el.text or "").strip():
            return True
        return any((c.tail or "").strip() for c in el)

    def emit(el, heading: bool) -> None:
        text, markers = inline(el)
        if text.strip():
            blocks.append((text, markers, heading))

    def render(el) -> None:
        name = local(el)
        if not name or name in _XML_SKIP:
            return
        if name == "noot":
            note(el)
            return
        if name in _XML_HEADINGS:
            emit(el, True)
            return
        if name == "ondertekening":
            if (el.text or "").strip():
                blocks.append((" ".join(el.text.split()), [], False))
            for c in el:
                if local(c):
                    emit(c, False)
            return
        if name == "li":
            kids = [c for c in el if local(c)]
            nr = next((c for c in kids if local(c) == "li.nr"), None)
            rest = [c for c in kids if c is not nr]
            if nr is not None and rest and local(rest[0]) == "al":
                prefix = " ".join("".join(nr.itertext()).split())
                text, markers = inline(rest[0])
                off = len(prefix) + 1
                blocks.append((f"{prefix} {text}", [(p + off, m) for p, m in markers], False))
                rest = rest[1:]
            elif nr is not None:
                emit(nr, False)
            for c in rest:
                render(c)
            return
        if name == "al" or has_direct_text(el):
            emit(el, False)
            return
        for c in el:
            render(c)

    render(root)
    if not blocks and not notes:
        raise IngestError(path, "XML without text")
    parts: list[str] = []
    hints = _Hints(set(), {}, [])
    pos = 0
    for text, markers, heading in blocks:
        if parts:
            parts.append("\n\n")
            pos += 2
        if heading:
            hints.headings.add(pos)
        for off, mk in markers:
            hints.markers.append((pos + off, pos + off + len(mk), mk))
        parts.append(text)
        pos += len(text)
    for nr, text in notes:
        if parts:
            parts.append("\n\n")
            pos += 2
        hints.footnotes[pos] = nr
        line = f"{nr} {text}"
        parts.append(line)
        pos += len(line)
    return "".join(parts), hints


# --------------------------------------------------------------------------- walking


def iter_documents(
    paths: Iterable[Path | str], *, suffixes: Iterable[str] = (".txt", ".pdf", ".xml")
) -> Iterator[Path | IngestError]:
    """Yield the letters under ``paths`` (files as given, folders walked recursively).

    Folder entries are visited in sorted name order, depth first; hidden entries (``.*``)
    are skipped; a file is matched on its suffix (case-insensitive). Files given directly
    are yielded whatever their suffix. Symbolic links are followed; a link back to a folder
    being walked (a loop), a broken link, a missing path or an unreadable folder yields an
    :class:`IngestError` and the walk goes on. A folder or file reached twice (through
    links) is visited once. Nothing is read.
    """
    suf = tuple(s.lower() for s in suffixes)
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def walk(d: Path, stack: tuple[tuple[int, int], ...]) -> Iterator[Path | IngestError]:
        try:
            st = d.stat()
        except OSError as e:
            yield IngestError(d, f"cannot read folder: {e.strerror or e}")
            return
        key = (st.st_dev, st.st_ino)
        if key in stack:
            yield IngestError(d, "symbolic link loop: leads back to a folder being walked")
            return
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            yield IngestError(d, f"cannot read folder: {e.strerror or e}")
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            p = Path(e.path)
            try:
                is_dir = e.is_dir()  # follows links
                is_file = e.is_file()
            except OSError as err:
                yield IngestError(p, f"cannot stat: {err.strerror or err}")
                continue
            if is_dir:
                yield from walk(p, stack + (key,))
            elif is_file:
                if p.suffix.lower() in suf:
                    yield from file(p)
            elif e.is_symlink():
                if p.suffix.lower() in suf or not p.suffix:
                    yield IngestError(p, "broken symbolic link")
            # sockets, fifos, devices: not letters, skipped

    def file(p: Path) -> Iterator[Path | IngestError]:
        try:
            st = p.stat()
        except OSError as e:
            yield IngestError(p, f"cannot stat: {e.strerror or e}")
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_files:
            return
        seen_files.add(key)
        yield p

    for given in paths:
        p = Path(given)
        if p.is_dir():
            yield from walk(p, ())
        elif p.is_file():
            yield from file(p)
        elif p.is_symlink():
            yield IngestError(p, "broken symbolic link")
        elif p.exists():
            yield IngestError(p, "not a regular file or folder")
        else:
            yield IngestError(p, "no such file or folder")


# --------------------------------------------------------------------------- normalising

_DROP_CHARS = frozenset(
    [chr(c) for c in range(0x00, 0x09)]
    + [chr(c) for c in range(0x0E, 0x1C)]
    + [chr(c) for c in range(0x7F, 0x85)]
    + [chr(c) for c in range(0x86, 0xA0)]
    + ["\u00ad", "\u200b", "\u2060", "\ufeff"]
)
_DROP_CLASS = "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff"
_SPECIAL = re.compile(f"[{_DROP_CLASS}]|[^\\S ]|  ")
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

BODY, FURN, NOTE = 0, 1, 2


class _Line:
    __slots__ = ("a", "b", "brk", "s", "segs", "o0", "c0", "c1", "indent", "pb", "shy", "kind")

    def __init__(self, original: str, a: int, b: int, brk: int, pb: bool):
        self.a, self.b, self.brk, self.pb = a, b, brk, pb
        self.kind = BODY
        self.segs: list[tuple[int, int]] | None = None
        raw = original[a:b]
        if not _SPECIAL.search(raw):
            s = raw.strip(" ")
            lead = len(raw) - len(raw.lstrip(" "))
            self.s = s
            self.o0 = a + lead
            self.c0, self.c1 = a + lead, a + lead + len(s)
            self.indent = lead > 0 and bool(s)
            self.shy = False
            return
        chars: list[str] = []
        segs: list[tuple[int, int]] = []
        expect = -1
        space = True  # drop leading whitespace
        first = -1
        last = -1
        for j, c in enumerate(raw):
            if c in _DROP_CHARS:
                continue
            if c.isspace():
                if space:
                    continue
                space = True
            else:
                space = False
                if first < 0:
                    first = a + j
                last = a + j
            o = a + j
            if o != expect:
                segs.append((len(chars), o))
            chars.append(" " if c.isspace() else c)
            expect = o + 1
        while chars and chars[-1] == " ":
            chars.pop()
        while segs and segs[-1][0] >= len(chars):
            segs.pop()
        self.s = "".join(chars)
        self.segs = segs
        self.o0 = segs[0][1] if segs else a
        self.c0, self.c1 = (first, last + 1) if first >= 0 else (a, a)
        self.indent = bool(self.s) and raw[:1].isspace()
        tail = raw.rstrip()
        self.shy = bool(self.s) and tail.endswith("\u00ad")

    def orig(self, t: int) -> int:
        """Original index of cleaned offset ``t``."""
        if self.segs is None:
            return self.o0 + t
        k = bisect_right(self.segs, (t, 1 << 62)) - 1
        st, o = self.segs[k]
        return o + (t - st)

    def cleaned(self, o: int) -> int | None:
        """Cleaned offset of original index ``o`` (None when dropped)."""
        if self.segs is None:
            t = o - self.o0
            return t if 0 <= t < len(self.s) else None
        for i, (st, so) in enumerate(self.segs):
            en = self.segs[i + 1][0] if i + 1 < len(self.segs) else len(self.s)
            if so <= o < so + (en - st):
                return st + (o - so)
        return None


def _split_lines(original: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    pb = False
    for piece in original.splitlines(True):
        n = len(piece)
        if piece.endswith("\r\n"):
            tl = 2
        elif piece[-1] in _LINE_BREAKS:
            tl = 1
        else:
            tl = 0
        b = pos + n - tl
        line = _Line(original, pos, b, b if tl else -1, pb)
        lines.append(line)
        pb = (tl == 1 and piece[-1] == "\f") or (pb and not line.s)
        pos += n
    if not lines or (original and original[-1] in _LINE_BREAKS):
        lines.append(_Line(original, pos, pos, -1, pb))
    return lines


# ---- text predicates

_CLOSERS = "”’\"'»)]"
_SENT_MARKS = frozenset(".!?…")
_PUNCT_MARKS = frozenset(".!?…:;,")
_BULLET = re.compile(r"^(?:[-–•▪·*◦]|\d{1,2}[.)]|[a-z][.)])\s")
_NAME_LINE = re.compile(
    r"^(?:[A-Z][a-z]?\.\s?){1,5}\s*(?:(?:van|de|der|den|ten|ter|te|von|le|la|du|di|da|del)\s+)*"
    r"[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)?$"
)
_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_DATE_LINE = re.compile(
    rf"^(?:[A-Z][\w'’.\- ]{{1,40}},\s*)?(?:\w+dag\s+)?\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}$", re.I
)
_FUNCTION_WORDS = frozenset(
    "de het een van en of in op aan met voor te die dat door bij naar om tot uit over als"
    " the a an of and to in on for with by at from".split()
)
_INNER_SENT = re.compile(r"[a-zß-ÿ]{2}[.!?][”’\"'»)]* +[A-Z]")  # "Oekraïne. Het", not "2. China"
_FN_START = re.compile(r"^(\d{1,2}) ([^\d\s].*)$")
_FURN_BRACKET = re.compile(r"^\[[^\[\]]{1,80}\]$")
_FURN_PAGE = re.compile(
    r"^(?:(?:pagina|page|blad|p\.)\s*\d{1,4}(?:\s*(?:van|of|/)\s*\d{1,4})?|-\s*\d{1,4}\s*-|\d{1,4}\s*/\s*\d{1,4})$",
    re.I,
)
_FURN_LABEL = re.compile(
    r"^(?:onze|uw|ons)\s+(?:referentie|kenmerk|ref\.?)(?:\s*[:.]?\s*(\S+))?$|^(?:kenmerk|referentie|uw brief(?: \(kenmerk\))?)$",
    re.I,
)
_FURN_CODE = re.compile(r"^(?=.*\d)[\w./\-]{4,60}$")
_BARE_NUMBER = re.compile(r"^\d{1,4}$")


def _ends_sent(s: str) -> bool:
    return s.rstrip(_CLOSERS)[-1:] in _SENT_MARKS and s.rstrip(_CLOSERS) != ""


def _ends_punct(s: str) -> bool:
    return s.rstrip(_CLOSERS)[-1:] in _PUNCT_MARKS and s.rstrip(_CLOSERS) != ""


def _hyphen_end(s: str) -> bool:
    """Ends in a hyphen right after a letter or digit."""
    return len(s) >= 2 and s[-1] in "-\u2010" and s[-2].isalnum()


def _starts_upper(s: str) -> bool:
    c = s[:1]
    if not c:
        return False
    if c.isupper() or c.isdigit():
        return True
    return c in "\"“‘'«(" and (s[1:2].isupper() or s[1:2].isdigit())


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _last_word(s: str) -> str:
    m = re.search(r"(\w+)\W*$", s)
    return m.group(1) if m else ""


# ---- dehyphenation

_STRONG_PREFIXES = frozenset("non niet ex anti oud vice semi quasi pseudo".split())
_WEAK_PREFIXES = frozenset(
    "pro co trans post pre inter multi sub super contra counter mini micro macro mega neo extra ultra para"
    " euro cyber bio geo".split()
)
_SUSPENDED = frozenset("en of tot en/of noch and or".split())
_TOKEN = re.compile(
    r"(?<![\w\-\u2010])(?<![\-\u2010\u00ad][\n\r\f])(?<![\-\u2010\u00ad][\n\r\f] )(?<![\-\u2010]\r\n)"
    r"(?>\w+(?:[\-\u2010]\w+)*)(?![\-\u2010\u00ad] *(?:[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|\Z))"
)
_X_TOKEN = re.compile(r"(\w+(?:[\-\u2010]\w+)*)[\-\u2010]$")
_Y_TOKEN = re.compile(r"^\w+(?:[\-\u2010]\w+)*")

JOIN, KEEP, SPACE = 0, 1, 2


class _Lexicon:
    """Whole tokens of the document (never the halves of a word broken at a line end)."""

    def __init__(self, original: str):
        self.original = original
        self._case: set[str] | None = None
        self._lower: set[str] | None = None

    def _build(self) -> None:
        case: set[str] = set()
        text = self.original
        n = len(text)
        step = 1 << 20
        pos = 0
        while pos < n:
            end = min(n, pos + step)
            if end < n:
                nl = text.find("\n", end)
                end = n if nl < 0 else nl + 1
            case.update(_TOKEN.findall(text, pos, end))
            pos = end
        self._case = case
        self._lower = {t.lower() for t in case}

    @property
    def case(self) -> set[str]:
        if self._case is None:
            self._build()
        return self._case  # type: ignore[return-value]

    @property
    def lower(self) -> set[str]:
        if self._lower is None:
            self._build()
        return self._lower  # type: ignore[return-value]


def _hyphen_join(a: str, b: str, lex: _Lexicon) -> int:
    """How to join line ``a`` (ending in a hyphen after a letter/digit) with line ``b``."""
    mx = _X_TOKEN.search(a)
    my = _Y_TOKEN.match(b)
    if not mx or not my:
        return SPACE  # a dash, or the next line starts with a bracket/quote: keep "-" and a space
    x = mx.group(1)
    y = my.group(0)
    after = b[my.end():my.end() + 1]
    if y.lower() in _SUSPENDED and (after == "" or after == " "):
        return SPACE  # "Oost- en Noordzee"
    x_last = re.split(r"[\-\u2010]", x)[-1]
    y_first = re.split(r"[\-\u2010]", y)[0]
    joined = (x + y).lower()
    hyph = (x + "-" + y).lower()
    lw = lex.lower
    in_j, in_h = joined in lw, hyph in lw
    if in_h != in_j:
        return KEEP if in_h else JOIN
    if y_first[:1].isdigit() or any(c.isdigit() for c in x_last) or len(x_last) == 1:
        return KEEP
    if x_last.isupper() and y_first.isupper():
        return KEEP if x_last in lex.case else JOIN
    if y_first[:1].isupper():
        return KEEP
    if sum(1 for c in x_last if c.isupper()) >= 2 and x_last.upper() == x_last:
        return KEEP
    xl = x_last.lower()
    if xl in _STRONG_PREFIXES:
        return KEEP
    if xl in _WEAK_PREFIXES and len(y_first) >= 3 and y_first.lower() in lw:
        return KEEP
    if xl[-1:] in "aeiou" and y_first[:1].lower() == xl[-1:]:
        return KEEP
    return JOIN


def _join_kind(a: _Line, b: _Line, lex: _Lexicon) -> int:
    if a.shy:
        return JOIN_SHY
    if _hyphen_end(a.s):
        return _hyphen_join(a.s, b.s, lex)
    return SPACE


JOIN_SHY = 3  # soft hyphen at the line end: glue without removing anything


# ---- the pipeline


def normalise(
    original: str,
    doc_id: str = "",
    path: Path | None = None,
    *,
    encoding: str = "utf-8",
    sha256: str | None = None,
    _hints: _Hints | None = None,
) -> SourceDocument:
    """Normalise decoded text (pure, deterministic). See the module docstring for the rules."""
    if sha256 is None:
        sha256 = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()
    if not doc_id and path is not None:
        doc_id = Path(path).stem
    lines = _split_lines(original)
    starts = array("q", (ln.a for ln in lines))
    lex = _Lexicon(original)

    if _hints is None:
        _mark_furniture(lines)
        cands = _marker_candidates(original, lines, starts)
        regions = _find_footnotes(lines, cands)
        notes = [e for r in regions for e in r[0]]
        markers = _choose_markers(regions, cands, lines)
    else:
        notes = []
        for i, ln in enumerate(lines):
            mk = _hints.footnotes.get(ln.a)
            if mk is not None and ln.s:
                ln.kind = NOTE
                notes.append((mk, [i]))
        markers = {}
        for ms, me, mk in _hints.markers:
            i = bisect_right(starts, ms) - 1
            ln = lines[i]
            t0, t1 = ln.cleaned(ms), ln.cleaned(me - 1)
            if t0 is not None and t1 is not None:
                markers.setdefault(i, []).append((t0, t1 + 1, mk))

    lengths = sorted(len(ln.s) for ln in lines if ln.kind == BODY and ln.s)
    if len(lengths) >= 5:
        width = lengths[int(0.9 * (len(lengths) - 1))]
    else:
        width = lengths[-1] if lengths else 0

    blocks = _blocks(lines, _hints is not None)
    paras: list[tuple[list[int], bool]] = []
    for blk in blocks:
        if _hints is not None:
            paras.append((blk, lines[blk[0]].a in _hints.headings))
        else:
            paras.extend(_split_block(lines, blk, width))

    b = _Builder()
    out_paras: list[Paragraph] = []
    out_markers: list[tuple[str, int]] = []
    for idxs, heading in paras:
        if b.n:
            b.sep(lines[idxs[0]].a - 1 if lines[idxs[0]].a > 0 else 0, prev_brk=b.last_brk)
        start = b.n
        _emit_lines(b, lines, idxs, lex, markers, out_markers, 0)
        out_paras.append(Paragraph(start, b.n, heading))
    body_end = b.n
    out_notes: list[Footnote] = []
    blocks_o: list[tuple[int, int]] = []
    for mk, idxs in notes:
        first = lines[idxs[0]]
        if b.n:
            b.sep(first.a - 1 if first.a > 0 else 0, prev_brk=None)
        m = _FN_START.match(first.s) if _hints is None else None
        skip = m.start(2) if m else min(len(first.s), len(mk) + 1)
        start = b.n
        _emit_lines(b, lines, idxs, lex, {}, None, skip)
        out_notes.append(Footnote(mk, start, b.n))
        blocks_o.append((first.c0, lines[idxs[-1]].c1))
    furniture = [(ln.c0, ln.c1) for ln in lines if ln.kind == FURN]
    return SourceDocument(
        doc_id=doc_id,
        path=path,
        original=original,
        text="".join(b.out),
        encoding=encoding,
        sha256=sha256,
        paragraphs=out_paras,
        footnotes=out_notes,
        body_end=body_end,
        markers=out_markers,
        furniture=furniture,
        footnote_blocks=blocks_o,
        _seg_t=b.seg_t,
        _seg_o=b.seg_o,
    )


class _Builder:
    __slots__ = ("out", "seg_t", "seg_o", "n", "o_end", "last_brk")

    def __init__(self):
        self.out: list[str] = []
        self.seg_t = array("q")
        self.seg_o = array("q")
        self.n = 0
        self.o_end = -1
        self.last_brk = -1

    def emit(self, s: str, o: int) -> None:
        if not s:
            return
        if o != self.o_end:
            self.seg_t.append(self.n)
            self.seg_o.append(o)
        self.out.append(s)
        self.n += len(s)
        self.o_end = o + len(s)

    def sep(self, fallback: int, prev_brk: int | None) -> None:
        o = prev_brk if prev_brk is not None and prev_brk >= 0 else fallback
        self.emit("\n", o)
        self.emit("\n", o)


def _emit_text(b: _Builder, ln: _Line, t0: int, t1: int) -> None:
    """Emit ``ln.s[t0:t1]`` with its map."""
    if t0 >= t1:
        return
    if ln.segs is None:
        b.emit(ln.s[t0:t1], ln.o0 + t0)
        return
    segs = ln.segs
    k = bisect_right(segs, (t0, 1 << 62)) - 1
    t = t0
    while t < t1:
        st, o = segs[k]
        en = segs[k + 1][0] if k + 1 < len(segs) else len(ln.s)
        e = min(en, t1)
        b.emit(ln.s[t:e], o + (t - st))
        t = e
        k += 1


def _emit_line(b, ln, t0, t1, marks, out_markers):
    """Emit a line slice, cutting out footnote markers."""
    for ms, me, mk in marks:
        if ms < t0 or me > t1:
            continue
        _emit_text(b, ln, t0, ms)
        out_markers.append((mk, b.n))
        t0 = me
    _emit_text(b, ln, t0, t1)


def _emit_lines(b: _Builder, lines, idxs, lex, markers, out_markers, skip_first: int) -> None:
    prev: _Line | None = None
    for n, i in enumerate(idxs):
        ln = lines[i]
        marks = markers.get(i, ()) if markers else ()
        t0 = skip_first if n == 0 else 0
        if prev is not None:
            kind = _join_kind(prev, ln, lex)
            # finish the previous line
            end = len(prev.s) - (1 if kind == JOIN else 0)
            _emit_line(b, prev, prev_t0, end, prev_marks, out_markers)
            if kind == SPACE:
                b.emit(" ", prev.brk if prev.brk >= 0 else prev.c1)
        prev, prev_t0, prev_marks = ln, t0, marks
    if prev is not None:
        _emit_line(b, prev, prev_t0, len(prev.s), prev_marks, out_markers)
        b.last_brk = prev.brk


# ---- furniture


def _mark_furniture(lines: list[_Line]) -> None:
    n = len(lines)
    for i, ln in enumerate(lines):
        s = ln.s
        if not s or len(s) > 100:
            continue
        if _FURN_BRACKET.match(s) or _FURN_PAGE.match(s):
            ln.kind = FURN
            continue
        m = _FURN_LABEL.match(s)
        if m:
            ln.kind = FURN
            if not m.group(1):  # the code is on the next non-blank line
                for j in range(i + 1, min(n, i + 4)):
                    if lines[j].s:
                        if _FURN_CODE.match(lines[j].s):
                            lines[j].kind = FURN
                        break
            continue
        if _BARE_NUMBER.match(s):
            before = i > 0 and lines[i - 1].brk >= 0 and _is_ff_gap(lines, i, -1)
            after = _is_ff_gap(lines, i, 1)
            if before or after:
                ln.kind = FURN
    # running headers/footers: short non-sentence lines repeated near page boundaries
    nonblank = [i for i, ln in enumerate(lines) if ln.s]
    occ: dict[str, list[int]] = {}
    for i in nonblank:
        s = lines[i].s
        if (
            lines[i].kind == BODY
            and 3 <= len(s) <= 80
            and not s[0].islower()
            and not _ends_sent(s)
            and not s.endswith((",", "-", "\u2010"))
            and not _FN_START.match(s)
            and not _NAME_LINE.match(s)
            and not _DATE_LINE.match(s)
        ):
            occ.setdefault(s, []).append(i)
    reps = {s: v for s, v in occ.items() if len(v) >= 2}
    if not reps:
        return
    pos = {i: k for k, i in enumerate(nonblank)}

    def boundary(k: int) -> bool:
        if k < 0 or k >= len(nonblank):
            return True
        ln = lines[nonblank[k]]
        return ln.indent or ln.pb or ln.kind == FURN

    def near(i: int) -> bool:
        k = pos[i]
        if lines[i].indent or lines[i].pb:
            return True
        return boundary(k - 1) or boundary(k + 1)

    # decide on the layout before any marking, so furniture does not spread
    chosen = [v for v in reps.values() if all(near(i) for i in v)]
    for v in chosen:
        for i in v:
            lines[i].kind = FURN


def _is_ff_gap(lines: list[_Line], i: int, direction: int) -> bool:
    """Is there a form feed between line ``i`` and the next non-blank line in ``direction``?"""
    j = i
    while True:
        if direction < 0:
            j -= 1
            if j < 0:
                return True
            if lines[j + 1].pb:
                return True
            if lines[j].s:
                return False
        else:
            j += 1
            if j >= len(lines):
                return True
            if lines[j].pb:
                return True
            if lines[j].s:
                return False


# ---- footnotes and markers

_MARKER = re.compile(
    r"(?=\d)(?:(?<=[^\W\d_]{2})|(?<=[^\W\d_][.,;:!?)\]”’\"'»]))(\d{1,2})(?![\w%‰°\-\u2010])(?![.,]\d)"
)
_ABBREV = frozenset("nr nrs art artt blz p pp par hfst".split())  # "nr.1" is not a marker


def _marker_candidates(original: str, lines: list[_Line], starts: array) -> list[tuple[int, int, int]]:
    """(original position, number, line index) of digits that may be footnote markers."""
    out = []
    for m in _MARKER.finditer(original):
        num = int(m.group(1))
        if num == 0:
            continue
        p = m.start(1)
        wm = re.search(r"(\w+)\W?$", original[max(0, p - 40):p])
        word = wm.group(1) if wm else ""
        if original[p - 1].isalpha():
            if not any(c.islower() for c in word):
                continue
        elif word.lower() in _ABBREV:
            continue
        i = bisect_right(starts, p) - 1
        if lines[i].kind != BODY:
            continue
        out.append((p, num, i))
    return out


def _find_footnotes(lines: list[_Line], cands) -> list[tuple[list[tuple[str, list[int]]], int, int]]:
    """Footnote regions: (entries, original start of the region, original end of the region)."""
    regions: list[tuple[list[tuple[str, list[int]]], int, int]] = []
    n = len(lines)
    last_num = 0
    last_end = -1
    i = 1
    while i < n:
        ln = lines[i]
        m = _FN_START.match(ln.s) if ln.kind == BODY and ln.s else None
        if m:
            num = int(m.group(1))
            marked = any(c[1] == num and last_end < c[0] < ln.a for c in cands)
            after_gap = not lines[i - 1].s or lines[i - 1].kind == FURN
            ok = (after_gap and (num == last_num + 1 or marked)) or (marked and lines[i - 1].kind == BODY)
            # without a blank line before it, a footnote is short: a body line that happens to
            # start with a number ("4 april vindt ...") must not swallow the rest of the page
            res = _scan_notes(lines, i, num, None if after_gap else 5) if ok else None
            if res is not None:
                entries, end = res
                for mk, idxs in entries:
                    for j in idxs:
                        lines[j].kind = NOTE
                last_line = lines[entries[-1][1][-1]]
                regions.append((entries, ln.a, last_line.b))
                last_num = int(entries[-1][0])
                last_end = last_line.b
                i = end
                continue
        i += 1
    return regions


def _scan_notes(lines: list[_Line], i: int, num: int, max_cont: int | None = None):
    n = len(lines)
    entries: list[tuple[str, list[int]]] = []
    j = i
    expected = num
    while True:
        idxs = [j]
        k = j + 1
        while k < n:
            lk = lines[k]
            if not lk.s or lk.kind != BODY or lk.indent or lk.pb:
                break
            m = _FN_START.match(lk.s)
            if m and int(m.group(1)) == expected + 1:
                break
            idxs.append(k)
            k += 1
        if max_cont is not None and len(idxs) > max_cont + 1:
            return None
        entries.append((str(expected), idxs))
        if k < n and lines[k].s and lines[k].kind == BODY and not lines[k].indent and not lines[k].pb:
            expected += 1  # the next footnote right below, no blank line
            j = k
            continue
        while k < n and not lines[k].s and not lines[k].pb:
            k += 1
        if k >= n or lines[k].kind == FURN or lines[k].indent or lines[k].pb:
            return entries, k
        m = _FN_START.match(lines[k].s)
        if m and int(m.group(1)) == expected + 1 and lines[k].kind == BODY:
            expected += 1
            j = k
            continue
        return None


def _choose_markers(regions, cands, lines) -> dict[int, list[tuple[int, int, str]]]:
    """For each footnote, the nearest candidate marker on its page: after the previous
    footnote region and the previous chosen marker, before the footnote's own region."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    prev_end = -1
    lo = -1
    for entries, r_start, r_end in regions:
        lo = max(lo, prev_end)
        for mk, _ in entries:
            num = int(mk)
            best = None
            for c in cands:
                if c[1] == num and lo < c[0] < r_start:
                    best = c
            if best is None:
                continue
            p, _, li = best
            ln = lines[li]
            t0 = ln.cleaned(p)
            t1 = ln.cleaned(p + len(mk) - 1)
            if t0 is None or t1 is None:
                continue
            out.setdefault(li, []).append((t0, t1 + 1, mk))
            lo = p
        prev_end = r_end
    for v in out.values():
        v.sort()
    return out


# ---- paragraphs


def _continues(a: _Line, b: _Line) -> bool:
    """Does ``b`` continue ``a`` across a page break (with removed material between)?"""
    if a.shy or _hyphen_end(a.s):
        return True
    if _ends_sent(a.s):
        return False
    c = b.s[0]
    if c.islower() or c in ",;:)]}%»”’…":
        return True
    if c.isdigit():
        return a.s[-1].islower() or a.s[-1] == ","
    return False


def _blocks(lines: list[_Line], hinted: bool) -> list[list[int]]:
    blocks: list[list[int]] = []
    prev = -1
    removed = False
    pb = False
    for i, ln in enumerate(lines):
        if ln.kind != BODY:
            removed = True
            continue
        if not ln.s:
            pb = pb or ln.pb
            continue
        if prev < 0:
            blocks.append([i])
        elif i == prev + 1 and not hinted:
            blocks[-1].append(i)
        elif not hinted and (removed or pb or ln.pb or ln.indent) and _continues(lines[prev], ln):
            blocks[-1].append(i)
        else:
            blocks.append([i])
        prev = i
        removed = False
        pb = False
    return blocks


def _is_bullet(s: str) -> bool:
    return bool(_BULLET.match(s))


def _heading_len(ls: list[_Line], i: int, width: int) -> int:
    first = ls[i].s
    if not first or not _starts_upper(first) or not any(c.isalpha() for c in first):
        return 0
    if _is_bullet(first) or _NAME_LINE.match(first) or _DATE_LINE.match(first):
        return 0
    rest = len(ls) - i
    short = 0.7 * width
    total = 0
    if rest <= 4:
        if (
            all(not _ends_punct(ln.s) and not _INNER_SENT.search(ln.s) for ln in ls[i:])
            and sum(len(ln.s) for ln in ls[i:]) <= 250
        ):
            return rest
    for k in range(1, min(4, rest - 1) + 1):
        last = ls[i + k - 1].s
        total += len(last)
        if _ends_punct(last) or total > 250 or _INNER_SENT.search(last):
            return 0
        if _hyphen_end(last):
            continue
        nxt = ls[i + k].s
        if (
            nxt[:1].isupper()
            and (len(last) < short or _is_caps(last))
            and _last_word(last).lower() not in _FUNCTION_WORDS
        ):
            return k
    return 0


def _split_block(lines: list[_Line], blk: list[int], width: int) -> list[tuple[list[int], bool]]:
    ls = [lines[i] for i in blk]
    n = len(ls)
    out: list[tuple[list[int], bool]] = []
    short = 0.7 * width
    i = 0
    while i < n:
        h = _heading_len(ls, i, width)
        if h:
            out.append((blk[i:i + h], True))
            i += h
            continue
        j = i
        while j + 1 < n:
            a, b = ls[j].s, ls[j + 1].s
            if _is_bullet(b) and re.search(r"[.:;!?]$", a):
                break
            if _ends_sent(a):
                if len(a) < short and _starts_upper(b):
                    break
                if _heading_len(ls, j + 1, width):
                    break
            if a.endswith(",") and len(a) < short and _NAME_LINE.match(b):
                break
            j += 1
        out.append((blk[i:j + 1], False))
        i = j + 1
    return out
