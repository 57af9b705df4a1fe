"""``navograph build`` through the real command line, on a folder of good and bad files.

A folder holds the five seed letters (in a sub-folder: the walk is recursive) and one file of
every kind of bad input users have: empty, binary, undecodable, a PDF without a text layer,
a broken PDF, a file over the size limit (the default 50 MiB, and a lower limit set with
``NAVOGRAPH_MAX_BYTES``), a symbolic link loop, a broken link and a file name that is not
UTF-8. The build must name every bad file with its reason, still build every good letter,
and exit with code 1.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# file name -> (a part of the reason the build must give)
BAD = {
    "empty.txt": "empty file",
    "binary.txt": "binary content",
    "undecodable.txt": "undecodable",
    "scanned.pdf": "PDF without a text layer",
    "broken.pdf": "not a readable PDF",
    "huge.txt": "larger than the limit",
    "loop": "symbolic link loop",
    "dangling.txt": "broken symbolic link",
}


def _blank_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    with open(path, "wb") as fh:
        w.write(fh)


def make_bad_corpus(root: Path, *, huge_bytes: int = 50 * 2**20 + 1) -> Path:
    corpus = root / "corpus"
    good = corpus / "letters" / "2022"
    good.mkdir(parents=True)
    for p in sorted(SEEDS.glob("*.txt")):
        shutil.copy(p, good / p.name)
    bad = corpus / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 64)
    # 0x81 and 0x8d are neither UTF-8 nor cp1252
    (bad / "undecodable.txt").write_bytes("Geachte voorzitter, ".encode() + b"\x81\x8d\x8f\x90\x9d" * 10 + b" einde.\n")
    _blank_pdf(bad / "scanned.pdf")
    (bad / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF garbage")
    with open(bad / "huge.txt", "wb") as fh:  # sparse: the size check comes before any read
        fh.truncate(huge_bytes)
    os.symlink("..", bad / "loop")  # bad/loop -> corpus: a loop while walking corpus
    os.symlink("no-such-file.txt", bad / "dangling.txt")
    return corpus


def run_build(corpus: Path, store: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, COLUMNS="1000", NO_COLOR="1", TERM="dumb")  # no wrapped lines
    full_env.pop("NAVOGRAPH_MAX_BYTES", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "navograph", "build", str(corpus), "--store", str(store), "--blank", *extra],
        capture_output=True, text=True, env=full_env, timeout=600,
    )


def _letters(store: Path) -> set[str]:
    from navograph.store import Store

    with Store(store, read_only=True) as st:
        return set(st.letters())


def _assert_reported(out: str, corpus: Path, name: str, reason: str) -> None:
    hits = [ln for ln in out.splitlines() if ln.startswith("skipped ") and name in ln]
    assert hits, f"{name} not reported as skipped:\n{out}"
    assert any(reason in ln for ln in hits), f"{name}: expected reason {reason!r}, got {hits}"


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_files_are_named_and_the_rest_is_built(tmp_path, jobs):
    corpus = make_bad_corpus(tmp_path)
    store = tmp_path / "store"
    r = run_build(corpus, store, "--jobs", jobs)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    for name, reason in BAD.items():
        _assert_reported(out, corpus, name, reason)
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    assert _letters(store) == seeds  # every good letter, nothing else
    assert f"built {len(seeds)} letter(s)" in out
    assert f"{len(BAD)} failed" in out
    # the graph of the good letters is valid
    assert "graph conforms" in out


@pytest.mark.slow
def test_size_limit_from_the_environment(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    small, big = seeds[0], max(seeds, key=lambda p: p.stat().st_size)
    shutil.copy(small, corpus / small.name)
    shutil.copy(big, corpus / big.name)
    limit = (small.stat().st_size + big.stat().st_size) // 2
    r = run_build(corpus, tmp_path / "store", "--no-validate", env={"NAVOGRAPH_MAX_BYTES": str(limit)})
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    _assert_reported(out, corpus, big.name, f"larger than the limit of {limit} bytes")
    assert _letters(tmp_path / "store") == {small.stem}


def test_a_bad_size_limit_is_a_clear_error(tmp_path):
    r = run_build(SEEDS, tmp_path / "store", "--no-validate", env={"NAVOGRAPH_MAX_BYTES": "lots"})
    assert r.returncode == 2
    assert "NAVOGRAPH_MAX_BYTES" in r.stderr and "not a number of bytes" in r.stderr


def test_max_bytes_parsing(monkeypatch):
    from navograph.pipeline import max_bytes_limit

    monkeypatch.delenv("NAVOGRAPH_MAX_BYTES", raising=False)
    assert max_bytes_limit() == 50 * 2**20
    monkeypatch.setenv("NAVOGRAPH_MAX_BYTES", "2M")
    assert max_bytes_limit() == 2 * 2**20
    monkeypatch.setenv("NAVOGRAPH_MAX_BYTES", " 1500 ")
    assert max_bytes_limit() == 1500
    for bad in ("0", "-1", "x", "1.5M"):
        monkeypatch.setenv("NAVOGRAPH_MAX_BYTES", bad)
        with pytest.raises(ValueError, match="NAVOGRAPH_MAX_BYTES"):
            max_bytes_limit()


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes in names")
def test_undecodable_file_name_is_reported_not_fatal(tmp_path):
    from navograph.pipeline import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(seed, corpus / seed.name)
    try:
        open(os.fsencode(corpus) + b"/brief-\xff.txt", "wb").write(seed.read_bytes())
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    r = build([corpus], tmp_path / "store", validate=False, use_default_model=False)
    assert r.built == [seed.stem]
    assert len(r.failed) == 1 and "not valid UTF-8" in r.failed[0][1]


def test_a_missing_input_is_named(tmp_path):
    r = run_build(tmp_path / "nope", tmp_path / "store", "--no-validate")
    assert r.returncode == 1
    assert "nope" in r.stderr and "no such file or folder" in r.stderr
