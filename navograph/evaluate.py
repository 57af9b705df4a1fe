"""Compare the graph with gold annotations (format: gold/GUIDELINE.md).

The graph is read with SPARQL only, so what is measured is what users get. Figures per
category: true positives, false positives, false negatives, precision, recall, F1; micro
averages over all letters; and per letter every miss and every false positive with the
sentence it came from.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import vocab as V
from .model import MENTION_CATEGORY

CATEGORY_ORDER = [
    "meetings", "primary-meeting", "informal", "participants",
    "mentions:countries", "mentions:organisations", "mentions:groups", "mentions:initiatives", "mentions:persons",
    "stances", "stances-ignoring-polarity",
    "letter-kind", "letter-date", "signatories",
]
# categories that enter the overall micro average (the letter-level ones are accuracies)
MICRO_CATEGORIES = [c for c in CATEGORY_ORDER if not c.startswith("letter-")]

PREFIXES = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in V.PREFIXES.items())


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Item:
    """One miss or false positive."""

    category: str
    kind: str  # "miss" | "false-positive"
    fact: str
    evidence: str = ""


@dataclass
class LetterResult:
    doc: str
    scores: dict[str, Score] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


@dataclass
class Report:
    letters: list[LetterResult] = field(default_factory=list)
    unmatched_gold: list[str] = field(default_factory=list)  # gold files with no letter
    letters_without_gold: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, Score]:
        out = {c: Score() for c in CATEGORY_ORDER}
        for lr in self.letters:
            for c, s in lr.scores.items():
                out.setdefault(c, Score()).add(s)
        return out

    def micro(self) -> Score:
        total = Score()
        t = self.totals()
        for c in MICRO_CATEGORIES:
            total.add(t[c])
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "categories": {c: s.as_dict() for c, s in self.totals().items()},
            "micro": self.micro().as_dict(),
            "letters": {lr.doc: {"scores": {c: s.as_dict() for c, s in lr.scores.items()},
                                 "errors": [item.__dict__ for item in lr.items]}
                        for lr in self.letters},
            "unmatched_gold": self.unmatched_gold,
            "letters_without_gold": self.letters_without_gold,
        }


# --------------------------------------------------------------------------- gold

def load_gold(folder: Path) -> dict[str, dict]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such gold folder")
    out = {}
    for p in sorted(folder.glob("*.y*ml")):
        try:
            g = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{p}: not valid YAML: {exc}") from exc
        if not isinstance(g, dict) or "doc" not in g:
            raise ValueError(f"{p}: not a gold file (no 'doc' key)")
        out[str(g["doc"])] = g
    return out


def _d(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


# --------------------------------------------------------------------------- graph (SPARQL)

def _rows(store, sparql: str) -> list[dict[str, str]]:
    res = store.query(PREFIXES + "\n" + sparql)
    names = [v.value for v in res.variables]
    out = []
    for sol in res:
        row = {}
        for n in names:
            t = sol[n]
            row[n] = None if t is None else t.value
        out.append(row)
    return out


def graph_facts(store, doc: str) -> dict[str, Any]:
    L = f"<{V.letter_iri(doc)}>"
    G = f"<{V.graph_iri(doc)}>"
    facts: dict[str, Any] = {}
    rows = _rows(store, f"""
        SELECT ?kind ?date WHERE {{ GRAPH {G} {{ {L} ng:letterKind ?kind . OPTIONAL {{ {L} dcterms:date ?date }} }} }}""")
    facts["present"] = bool(rows)
    facts["kind"] = rows[0]["kind"] if rows else None
    facts["date"] = _d(rows[0]["date"]) if rows and rows[0]["date"] else None
    facts["signatories"] = {r["id"]: "" for r in _rows(store, f"""
        SELECT DISTINCT ?id WHERE {{ GRAPH {G} {{ {L} ng:signatory ?p }} ?p dcterms:identifier ?id }}""")}
    facts["meetings"] = _rows(store, f"""
        SELECT DISTINCT ?key ?kind ?start ?end ?year ?city ?informal ?primary ?quote WHERE {{ GRAPH {G} {{
          ?r a ng:MeetingReference ; ng:inLetter {L} ; ng:meeting ?m ; ng:primary ?primary ; ng:evidence ?ev .
          ?ev oa:hasSelector/oa:exact ?quote .
          ?m dcterms:identifier ?key ; ng:meetingKind ?kind ; ng:year ?year ; ng:informal ?informal .
          OPTIONAL {{ ?m schema:startDate ?start ; schema:endDate ?end }}
          }}
          OPTIONAL {{ GRAPH {G} {{ ?m schema:location ?loc }} ?loc dcterms:identifier ?city }}
        }} ORDER BY ?key""")
    facts["participants"] = {r["id"]: r["quote"] for r in _rows(store, f"""
        SELECT DISTINCT ?id ?quote WHERE {{ GRAPH {G} {{
          ?p a ng:Participation ; ng:inLetter {L} ; ng:participant ?e ;
             ng:meeting ?m ; ng:evidence/oa:hasSelector/oa:exact ?quote .
          {L} ng:primaryMeeting ?m . }}
          ?e dcterms:identifier ?id .
        }} ORDER BY ?id ?quote""")}
    mentions: dict[str, dict[str, str]] = {c: {} for c in MENTION_CATEGORY.values()}
    classes = {V.class_iri(k): cat for k, cat in MENTION_CATEGORY.items()}
    for r in _rows(store, f"""
        SELECT DISTINCT ?id ?class ?quote WHERE {{ GRAPH {G} {{
          ?x a ng:Mention ; ng:inLetter {L} ; ng:refersTo ?e ; ng:evidence/oa:hasSelector/oa:exact ?quote . }}
          ?e dcterms:identifier ?id ; a ?class .
        }} ORDER BY ?id ?quote"""):
        cat = classes.get(r["class"])
        if cat:
            mentions[cat].setdefault(r["id"], r["quote"])
    facts["mentions"] = mentions
    facts["stances"] = {}
    for r in _rows(store, f"""
        SELECT DISTINCT ?h ?t ?pol ?quote WHERE {{ GRAPH {G} {{
          ?s a ng:Stance ; ng:inLetter {L} ; ng:holder ?he ; ng:target ?te ;
             ng:polarity ?p ; ng:evidence/oa:hasSelector/oa:exact ?quote . }}
          ?he dcterms:identifier ?h . ?te dcterms:identifier ?t .
          BIND(STRAFTER(STR(?p), "#") AS ?pol)
        }} ORDER BY ?h ?t ?pol ?quote"""):
        facts["stances"].setdefault((r["h"], r["t"], r["pol"]), r["quote"])
    return facts


def graph_letters(store) -> list[str]:
    return [r["id"] for r in _rows(store, "SELECT ?id WHERE { ?l a ng:Letter ; dcterms:identifier ?id } ORDER BY ?id")]


# --------------------------------------------------------------------------- comparison

def _set_score(category: str, gold: Iterable, pred: dict, lr: LetterResult, fmt=str,
               gold_evidence: dict | None = None) -> None:
    gold = set(gold)
    pk = set(pred)
    s = Score(len(gold & pk), len(pk - gold), len(gold - pk))
    lr.scores[category] = s
    for k in sorted(gold - pk, key=str):
        lr.items.append(Item(category, "miss", fmt(k), (gold_evidence or {}).get(k, "")))
    for k in sorted(pk - gold, key=str):
        lr.items.append(Item(category, "false-positive", fmt(k), _squash(pred[k])))


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def _meeting_str(m: dict) -> str:
    when = f"{m['start']}..{m['end']}" if m.get("start") else f"year {m.get('year')}"
    return f"{m['kind']} {when} {m.get('city') or '-'}" + (" informal" if m.get("informal") else "")


def _norm_pred_meeting(r: dict) -> dict:
    return {"kind": r["kind"], "start": _d(r["start"]), "end": _d(r["end"]), "year": int(r["year"]),
            "city": r["city"], "informal": r["informal"] == "true", "primary": r["primary"] == "true",
            "quote": r["quote"]}


def _match(g: dict, p: dict) -> bool:
    if g.get("start") is None:
        year = g.get("year")
        return p["kind"] == g["kind"] and p["year"] == (int(year) if year is not None else None)
    return (p["kind"] == g["kind"] and p["start"] == _d(g["start"]) and p["end"] == _d(g.get("end") or g["start"])
            and (p["city"] or None) == (g.get("city") or None))


def _pair_meetings(gold: list[dict], pred: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """One-to-one matching: dated gold meetings first, then year-only ones."""
    left = list(pred)
    pairs = []
    missed = []
    for g in sorted(gold, key=lambda g: g.get("start") is None):
        hit = next((p for p in left if _match(g, p)), None)
        if hit is None:
            missed.append(g)
        else:
            pairs.append((g, hit))
            left.remove(hit)
    return pairs, missed, left


def compare_letter(doc: str, gold: dict, facts: dict) -> LetterResult:
    lr = LetterResult(doc)
    # letter kind and date: one decision per letter
    lr.scores["letter-kind"] = Score(int(facts["kind"] == gold.get("kind")), int(facts["kind"] != gold.get("kind")),
                                     int(facts["kind"] != gold.get("kind")))
    if facts["kind"] != gold.get("kind"):
        lr.items.append(Item("letter-kind", "miss", f"{gold.get('kind')} (graph: {facts['kind']})"))
    gd, pd = _d(gold.get("letter_date")), facts["date"]
    ok = gd == pd
    lr.scores["letter-date"] = Score(int(ok), int(not ok and pd is not None), int(not ok and gd is not None))
    if not ok:
        lr.items.append(Item("letter-date", "miss", f"{gd} (graph: {pd})"))
    _set_score("signatories", gold.get("signatories") or [], facts["signatories"], lr)

    # meetings
    pred = [_norm_pred_meeting(r) for r in facts["meetings"]]
    gold_m = list(gold.get("meetings") or [])
    pairs, missed, extra = _pair_meetings(gold_m, pred)
    lr.scores["meetings"] = Score(len(pairs), len(extra), len(missed))
    for g in missed:
        lr.items.append(Item("meetings", "miss", _meeting_str({**g, "start": _d(g.get("start"))})))
    for p in extra:
        lr.items.append(Item("meetings", "false-positive", _meeting_str(p), _squash(p["quote"])))
    inf = Score()
    for g, p in pairs:
        gi, pi = bool(g.get("informal")), p["informal"]
        inf.tp += int(gi and pi)
        inf.fp += int(pi and not gi)
        inf.fn += int(gi and not pi)
        if gi != pi:
            lr.items.append(Item("informal", "miss" if gi else "false-positive", _meeting_str(g), _squash(p["quote"])))
    lr.scores["informal"] = inf
    gp = next((g for g in gold_m if g.get("primary")), None)
    pp = next((p for p in pred if p["primary"]), None)
    hit = gp is not None and pp is not None and _match(gp, pp)
    lr.scores["primary-meeting"] = Score(int(hit), int(pp is not None and not hit), int(gp is not None and not hit))
    if not hit:
        lr.items.append(Item("primary-meeting", "miss",
                             f"gold {_meeting_str(gp) if gp else None}; graph {_meeting_str(pp) if pp else None}"))

    _set_score("participants", gold.get("participants") or [], facts["participants"], lr)
    gm = gold.get("mentions") or {}
    for cat in MENTION_CATEGORY.values():
        _set_score(f"mentions:{cat}", gm.get(cat) or [], facts["mentions"].get(cat, {}), lr)

    gs = gold.get("stances") or []
    gold_st = {(s["holder"], s["target"], s["polarity"]): s.get("evidence", "") for s in gs}
    _set_score("stances", gold_st, facts["stances"], lr, fmt=lambda k: " ".join(k), gold_evidence=gold_st)
    gold_hp = {(h, t): ev for (h, t, _), ev in gold_st.items()}
    pred_hp: dict = {}
    for (h, t, _), q in facts["stances"].items():
        pred_hp.setdefault((h, t), q)
    _set_score("stances-ignoring-polarity", gold_hp, pred_hp, lr, fmt=lambda k: " ".join(k), gold_evidence=gold_hp)
    return lr


def evaluate_store(store, gold: dict[str, dict], docs: Iterable[str] | None = None) -> Report:
    report = Report()
    present = set(graph_letters(store))
    wanted = set(docs) if docs is not None else present
    for doc in sorted(gold):
        if doc not in present or doc not in wanted:
            report.unmatched_gold.append(doc)
            continue
        report.letters.append(compare_letter(doc, gold[doc], graph_facts(store, doc)))
    report.letters_without_gold = sorted(wanted - set(gold))
    return report


def evaluate_folder(docs: Path, gold_dir: Path, *, store: Path | None = None, model: str | None = None,
                    use_default_model: bool = True) -> Report:
    from .ingest import IngestError, iter_documents
    from .store import Store

    gold = load_gold(gold_dir)
    docs = Path(docs)
    if not docs.exists():
        raise FileNotFoundError(f"{docs}: no such folder")
    doc_ids = [p.stem for p in iter_documents([docs]) if not isinstance(p, IngestError)]
    if store is not None:
        with Store(store, read_only=True) as st:
            return evaluate_store(st, gold, doc_ids)
    from .pipeline import build

    with tempfile.TemporaryDirectory(prefix="navograph-eval-") as tmp:
        build([docs], Path(tmp) / "store", model=model, validate=False, use_default_model=use_default_model)
        with Store(Path(tmp) / "store", read_only=True) as st:
            return evaluate_store(st, gold, doc_ids)


def render_report(report: Report, *, details: bool = True, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table("category", "tp", "fp", "fn", "precision", "recall", "F1", header_style="bold")
    for c, s in report.totals().items():
        t.add_row(c, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
    m = report.micro()
    t.add_row("micro (all but letter-*)", str(m.tp), str(m.fp), str(m.fn), f"{m.precision:.3f}",
              f"{m.recall:.3f}", f"{m.f1:.3f}", style="bold")
    console.print(t)
    if details:
        for lr in report.letters:
            if not lr.items:
                continue
            console.print(f"\n[bold]{lr.doc}[/bold]")
            for it in lr.items:
                ev = f"\n      «{it.evidence}»" if it.evidence else ""
                console.print(f"  {it.kind:14} {it.category:26} {it.fact}{ev}", highlight=False, markup=False)
    if report.unmatched_gold:
        console.print(f"\ngold files with no letter: {', '.join(report.unmatched_gold)}")
    if report.letters_without_gold:
        console.print(f"letters with no gold: {', '.join(report.letters_without_gold)}")


# --------------------------------------------------------------------------- gold as a graph

def gold_letter(gold: dict, catalogue, original: str = "") -> "Letter":
    """The facts of a gold file as a :class:`~navograph.model.Letter`, so that gold can be put
    in a store like any extracted letter (used to prove the evaluator strict: gold against
    itself scores 1.0). Evidence points at the gold's quoted fragment in ``original`` when found."""
    from .model import Evidence, Letter, Meeting, Mention, Participation, Stance
    from .vocab import KIND_PATH

    doc = str(gold["doc"])

    def ev(quote: str = "") -> Evidence:
        i = original.find(quote) if quote else -1
        if i < 0:
            return Evidence(doc, 0, 0, "")
        return Evidence(doc, i, i + len(quote), quote)

    meetings = []
    for g in gold.get("meetings") or []:
        start = _d(g.get("start"))
        end = _d(g.get("end")) or start
        year = start.year if start else int(g["year"])
        meetings.append(Meeting(g["kind"], start, end, year, g.get("city"), bool(g.get("informal")),
                                bool(g.get("primary")), ev()))
    primary = next((m for m in meetings if m.primary), None)

    def kind_of(key: str, default: str) -> str:
        ent = catalogue.get(key)
        return ent.kind if ent is not None and ent.kind in KIND_PATH else default

    cat_kind = {v: k for k, v in MENTION_CATEGORY.items()}
    mentions = [Mention(key, cat_kind[cat], ev()) for cat, keys in (gold.get("mentions") or {}).items()
                for key in keys or []]
    parts = [Participation(primary.key, key, kind_of(key, "person" if key.islower() else "country"), ev())
             for key in gold.get("participants") or []] if primary else []
    stances = [Stance(s["holder"], s["target"], s["polarity"], "stated", ev(s.get("evidence", "")),
                      meeting=primary.key if primary else None)
               for s in gold.get("stances") or []]
    # keys the catalogue does not know become entities of this letter, as discovered ones do
    from .model import Entity

    topics = getattr(catalogue, "topics", {})
    unknown: dict[str, Entity] = {}
    wanted = [(m.key, m.kind) for m in mentions] + [(p.participant, p.kind) for p in parts]
    wanted += [(s.holder, "group" if s.holder.isupper() else "role") for s in stances]
    wanted += [(s.target, "initiative" if s.target.isupper() else "topic") for s in stances]
    wanted += [(k, "person") for k in gold.get("signatories") or []]
    for key, kind in wanted:
        if catalogue.get(key) is None and key not in topics and key not in unknown:
            unknown[key] = Entity(key=key, kind=kind, label_nl=key, label_en=key, discovered=True)
    return Letter(doc=doc, source=f"{doc}.txt", sha256="0" * 64, kind=gold.get("kind", "other"),
                  date=_d(gold.get("letter_date")), title=doc,
                  signatories=list(gold.get("signatories") or []),
                  signatory_evidence=[ev() for _ in gold.get("signatories") or []],
                  meetings=meetings, mentions=mentions, participations=parts, stances=stances,
                  entities=sorted(unknown.values(), key=lambda e: e.key))
