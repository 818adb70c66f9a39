"""The viewer in a notebook: ``Trace._repr_html_`` and ``Predictor._repr_html_`` are the page
``arsim serve`` serves, with the run embedded (issue 24), inside an ``<iframe srcdoc>``."""

import html
import json
import re

import numpy as np

import arsim


def embedded(h):
    """The page inside the iframe, and the data it embeds."""
    assert h.startswith("<iframe") and 'srcdoc="' in h
    page = html.unescape(re.search(r'srcdoc="(.*)"', h, re.S).group(1))
    data = page.split("window.ARSIM_EMBEDDED = ", 1)[1].split(";</script>", 1)[0]
    for outside in ['src="http', 'href="http', "url(http"]:
        assert outside not in page
    return page, json.loads(data)


def test_a_traces_html_is_the_viewer_with_its_rows():
    bb4 = arsim.load("machines/bb4.ron")
    t = bb4.trace()
    page, data = embedded(t._repr_html_())
    assert "<canvas id=\"heatmap\"" in page
    s = data["summary"]
    assert (s["machine"], s["rows"], s["encoding"]) == ("bb4", 108, "cells")
    assert s["certificate"]["certified"] and s["certificate"]["min_margin"] == 1
    shown = [s["dictionary"][i] for row in data["rows"] for i in row["tokens"]]
    assert shown == t.tokens()
    # Each generated token: the argmax of its scores, the sum of the three weights it read.
    for row in data["rows"][1:]:
        for sc in row["scored"]:
            assert sc["top"][0][0] == sc["winner"] and sc["agree"]
            assert sc["top"][0][1] == sum(w["value"] for w in sc["weights"])
            assert len(sc["weights"]) == 3


def test_a_predictors_html_runs_its_own_weights():
    p = arsim.compile(arsim.load("machines/bb3.ron"))
    _, data = embedded(p._repr_html_())
    assert data["summary"]["machine"] == "bb3"
    assert data["summary"]["emulation"]["agree"]
    # Weights made worse are what the page shows: the wrong tokens are marked.
    q = p.with_weights({p.offsets[0]: np.zeros_like(p.weights[p.offsets[0]])})
    _, data = embedded(q._repr_html_())
    assert not data["summary"]["emulation"]["agree"]
    assert any(not sc["agree"] for row in data["rows"][1:] for sc in row["scored"])


def test_past_the_viewers_limits_the_text_repr_stands():
    t = arsim.load("machines/bb5.ron").trace(max_steps=100_000)  # 2.7e7 tokens, over 2**24
    assert t._repr_html_() is None
    assert repr(t).startswith("Trace(bb5")
