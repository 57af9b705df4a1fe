"""Push the store's named graphs to another triple store (SPARQL 1.1 Graph Store Protocol).

Every named graph (each letter, ``ngid:graph/catalogue``, ``ngid:graph/ontology``) is sent
as one ``HTTP PUT`` of its sorted N-Triples (or Turtle) to ``GSP_URL?graph=<graph IRI>``.
PUT *replaces* the target graph, so pushing twice leaves the same content: a push is
idempotent. Graphs are sent one by one; a failure stops the push with a
:class:`PushError` (status, URL and the first part of the response body).

The Graph Store URL is ``--endpoint`` as given, unless a ``--flavour`` or ``--gsp-path``
says how to build it from the server's base URL:

=========  ==================================================  ==============
flavour    Graph Store URL                                     graph parameter
=========  ==================================================  ==============
fuseki     ``BASE/DATASET/data``                               ``graph``
graphdb    ``BASE/repositories/REPO/rdf-graphs/service``       ``graph``
virtuoso   ``BASE/sparql-graph-crud-auth`` (with credentials)  ``graph-uri``
           or ``BASE/sparql-graph-crud`` (without)
oxigraph   ``BASE/store``                                      ``graph``
=========  ==================================================  ==============

Credentials come from ``NAVOGRAPH_PUSH_USER`` / ``NAVOGRAPH_PUSH_PASSWORD``: sent as
HTTP Basic auth up front, and answered with Digest auth if the server asks for it
(Virtuoso's ``-auth`` endpoints do).
"""
from __future__ import annotations

import base64
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from navograph.export import serialize_quads
from navograph.store import Store, graph_iri_for

FLAVOURS = ("fuseki", "graphdb", "virtuoso", "oxigraph")
PUSH_FORMATS = {"ntriples": "application/n-triples", "turtle": "text/turtle"}
ENV_USER = "NAVOGRAPH_PUSH_USER"
ENV_PASSWORD = "NAVOGRAPH_PUSH_PASSWORD"


class PushError(Exception):
    """A push that failed: bad options, unreachable server, or an HTTP error status."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None,
                 body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.body = body


@dataclass
class PushItem:
    graph: str
    triples: int
    bytes: int
    url: str
    status: int | None = None  # HTTP status; None in a dry run


def gsp_url(endpoint: str, flavour: str | None = None, gsp_path: str | None = None,
            dataset: str | None = None, authenticated: bool = False) -> str:
    """The Graph Store Protocol URL for a server base URL and a product flavour."""
    base = endpoint.rstrip("/")
    if gsp_path:
        path = gsp_path if gsp_path.startswith("/") else "/" + gsp_path
        return base + path if not base.endswith(path) else base
    if not flavour:
        return base
    flavour = flavour.lower()
    if flavour not in FLAVOURS:
        raise PushError(f"unknown flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    if flavour == "oxigraph":
        path = "/store"
    elif flavour == "virtuoso":
        path = "/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud"
        if base.endswith(("/sparql-graph-crud-auth", "/sparql-graph-crud")):
            return base
    else:
        if flavour == "fuseki":
            if base.endswith("/data"):
                return base
            path = f"/{dataset}/data" if dataset else "/data"  # base may already end in /DATASET
        else:  # graphdb
            if base.endswith("/rdf-graphs/service"):
                return base
            if dataset:
                path = f"/repositories/{dataset}/rdf-graphs/service"
            elif "/repositories/" in base:
                path = "/rdf-graphs/service"
            else:
                raise PushError("GraphDB needs a repository: --dataset REPO or an endpoint ending in /repositories/REPO")
        if flavour == "fuseki" and not dataset and base.count("/") < 3:
            raise PushError("Fuseki needs a dataset: --dataset NAME or an endpoint ending in /NAME")
    return base if base.endswith(path) else base + path


def graph_param(flavour: str | None) -> str:
    return "graph-uri" if (flavour or "").lower() == "virtuoso" else "graph"


def target_url(gsp: str, graph: str, flavour: str | None = None) -> str:
    sep = "&" if "?" in gsp else "?"
    return f"{gsp}{sep}{graph_param(flavour)}={urllib.parse.quote(graph, safe='')}"


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = []
    if user is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, password or "")
        handlers.append(urllib.request.HTTPDigestAuthHandler(mgr))
    return urllib.request.build_opener(*handlers)


def put_graph(url: str, body: bytes, content_type: str, *, user: str | None = None,
              password: str | None = None, timeout: float = 60.0) -> int:
    """PUT ``body`` to ``url``; returns the HTTP status or raises :class:`PushError`."""
    headers = {"Content-Type": f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type}
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with _opener(url, user, password).open(req, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace").strip() if exc.fp else ""
        raise PushError(
            f"HTTP {exc.code} {exc.reason} from PUT {url}" + (f": {text[:500]}" if text else ""),
            status=exc.code, url=url, body=text[:2000],
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PushError(f"cannot reach {url}: {reason}", url=url) from exc


def push(
    store: Store | str | Path | None,
    endpoint: str,
    *,
    flavour: str | None = None,
    gsp_path: str | None = None,
    dataset: str | None = None,
    graph: str | None = None,
    fmt: str = "ntriples",
    dry_run: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[PushItem], None] | None = None,
) -> list[PushItem]:
    """Push every named graph (or just ``graph``) of the store; returns what was (or would be) sent.

    ``user``/``password`` default to ``$NAVOGRAPH_PUSH_USER`` / ``$NAVOGRAPH_PUSH_PASSWORD``.
    """
    if fmt not in PUSH_FORMATS:
        raise PushError(f"unknown push format {fmt!r}; choose one of {', '.join(PUSH_FORMATS)}")
    if not endpoint.startswith(("http://", "https://")):
        raise PushError(f"--endpoint must be an http(s) URL, not {endpoint!r}")
    if user is None:
        user = os.environ.get(ENV_USER) or None
    if password is None:
        password = os.environ.get(ENV_PASSWORD)
    gsp = gsp_url(endpoint, flavour, gsp_path, dataset, authenticated=user is not None)

    own = not isinstance(store, Store)
    st = Store(store, read_only=True) if own else store
    try:
        if graph is not None:
            g = graph_iri_for(graph)
            if not st.has_graph(g):
                raise PushError(f"no graph {g} in store {st.path}")
            graphs = [g]
        else:
            graphs = [i.graph for i in st.graphs()]
        items: list[PushItem] = []
        for g in graphs:
            quads = list(st.quads(g))
            body = serialize_quads(quads, fmt)
            triples = len({str(q.triple) for q in quads})
            item = PushItem(graph=g, triples=triples, bytes=len(body), url=target_url(gsp, g, flavour))
            if not dry_run:
                item.status = put_graph(item.url, body, PUSH_FORMATS[fmt], user=user,
                                        password=password, timeout=timeout)
            items.append(item)
            if progress:
                progress(item)
        return items
    finally:
        if own:
            st.close()
