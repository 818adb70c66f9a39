"""The viewer page in headless Chromium (selenium + chromedriver), driven as a person would.

Run by tests/browser.rs (which skips, saying why, where Chromium, chromedriver or selenium is
missing, unless ARSIM_BROWSER_REQUIRED=1, as .ci/run sets it). Starts `arsim serve` on a free
loopback port and checks:

- the page loads with no console error;
- pasting machines/bb4.ron and stepping 30 tokens shows the tokens of `arsim trace --tokens`;
- the score panel's winner is the argmax of the shown scores and the sum of the shown weights;
- a malformed machine shows its line number, in the message and in the editor's gutter;
- a window too small shows the command line's message;
- bb5's first 10^4 rows: jumping to row 9,990 answers quickly and keeps only a few pages;
- `arsim trace machines/bb4.ron --html` opens with no server and steps the same tokens.

Each state's screenshot is written to OUT (tests/browser.rs checks they are not blank).
Usage: viewer.py ARSIM_BINARY OUT_DIR
"""

import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARSIM, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def wait(what, cond, timeout=20):
    t = time.time()
    while time.time() - t < timeout:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def cli_tokens(*args):
    out = subprocess.run([ARSIM, "trace", "--tokens", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return [tok for line in out.stdout.splitlines() for tok in line.split()[1:]]


def browser():
    opts = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        opts.add_argument(a)
    opts.binary_location = os.environ.get("ARSIM_CHROMIUM", "/usr/bin/chromium")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("ARSIM_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=opts)


def console_errors(d):
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


def shot(d, name):
    path = os.path.join(OUT, name)
    d.save_screenshot(path)
    print("screenshot", path)


def paste(d, text):
    d.execute_script(
        "const t = document.getElementById('machine-text'); t.value = arguments[0];"
        "t.dispatchEvent(new Event('input'));", text)


def set_field(d, id_, value):
    el = d.find_element(By.ID, id_)
    el.clear()
    if value:
        el.send_keys(value)


def load(d, ok=True):
    before = d.find_element(By.ID, "message").text
    d.find_element(By.ID, "load").click()
    if ok:
        wait("the machine to compile", lambda: "certified" in d.find_element(By.ID, "message").text)
    else:
        wait("an error", lambda: d.find_element(By.ID, "message").text.startswith("error:")
             and d.find_element(By.ID, "message").text != before)


def shown_tokens(d):
    return [s.text for s in d.find_elements(By.CSS_SELECTOR, "#chain .tok")]


def step_tokens(d, n):
    for _ in range(n):
        before = d.find_element(By.ID, "position").text
        d.find_element(By.ID, "step-token").click()
        wait("a step", lambda: d.find_element(By.ID, "position").text != before)


def check_scores(d):
    rows = d.find_elements(By.CSS_SELECTOR, "#top tbody tr")
    scores = [(int(r.get_attribute("data-token")), float(r.get_attribute("data-score"))) for r in rows]
    winner = int(d.find_element(By.ID, "winner").get_attribute("data-token"))
    best = max(s for _, s in scores)
    argmax = next(t for t, s in scores if s == best)  # a tie goes to the lower id, listed first
    weights = [float(r.get_attribute("data-value")) for r in d.find_elements(By.CSS_SELECTOR, "#weights tbody tr")]
    assert winner == argmax, (winner, scores)
    assert len(weights) == 3, weights
    assert sum(weights) == best, (weights, scores)
    lit = d.execute_script("return document.getElementById('heatmap').toDataURL().length")
    assert lit > 1000, "the heatmap is drawn"
    return winner, scores, weights


def main():
    server = subprocess.Popen([ARSIM, "serve", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    d = None
    try:
        line = server.stdout.readline()
        url = line.split()[2]
        print("server", url)
        bb4 = open(os.path.join(ROOT, "machines", "bb4.ron")).read()
        d = browser()
        d.get(url)
        wait("the machine list", lambda: len(d.find_elements(By.CSS_SELECTOR, "#machine-pick option")) > 5)
        errors = console_errors(d)
        assert not errors, errors
        shot(d, "01-loaded.png")

        # Paste bb4, step 30 tokens: the command line's tokens.
        paste(d, bb4)
        load(d)
        step_tokens(d, 30)
        cli = cli_tokens("machines/bb4.ron")
        shown = shown_tokens(d)
        assert shown == cli[: 15 + 30], (shown, cli[:45])
        winner, scores, weights = check_scores(d)
        print("bb4 after 30 tokens:", " ".join(shown[15:]), "| winner", winner, "scores", scores, "weights", weights)
        cert = d.find_element(By.ID, "certificate").text
        assert "certified" in cert and "minimum margin 1" in cert, cert
        assert "T·(S+1) = 107·15" in d.find_element(By.ID, "formula").text
        # A row at once, then play for a moment: the tape and the diagram move on.
        d.find_element(By.ID, "step-row").click()
        wait("a row", lambda: int(d.find_element(By.ID, "formula").get_attribute("data-generated")) == 45)
        d.find_element(By.ID, "play").click()
        time.sleep(1.0)
        d.find_element(By.ID, "pause").click()
        assert int(d.find_element(By.ID, "formula").get_attribute("data-generated")) > 45
        check_scores(d)
        assert not console_errors(d)
        shot(d, "02-bb4-mid-run.png")

        # A malformed machine: its line, in the message and in the gutter.
        bad = bb4.replace('start: "A"', 'start: "Q"')
        line_no = next(i for i, l in enumerate(bad.splitlines(), 1) if 'start: "Q"' in l)
        paste(d, bad)
        load(d, ok=False)
        msg = d.find_element(By.ID, "message").text
        assert f":{line_no}:" in msg, msg
        marked = [int(e.get_attribute("data-line")) for e in d.find_elements(By.CSS_SELECTOR, "#gutter .error-line")]
        assert marked == [line_no], marked
        shot(d, "03-error-line.png")

        # A window too small: the command line's message.
        out = subprocess.run([ARSIM, "emulate", "machines/bb4.ron", "--tape", "5"], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 2
        cli_msg = out.stderr.strip()
        paste(d, bb4)
        set_field(d, "tape", "5")
        set_field(d, "origin", "0")
        load(d, ok=False)
        msg = d.find_element(By.ID, "message").text
        assert msg == cli_msg, (msg, cli_msg)
        shot(d, "04-window-too-small.png")
        # The two refusals above are the only errors: the API's 400 answers, logged by Chromium.
        errors = console_errors(d)
        assert all("api/view" in e["message"] and "status of 400" in e["message"] for e in errors), errors
        set_field(d, "tape", "")
        set_field(d, "origin", "")

        # bb5's first 10^4 rows: the page asks for the rows it shows, never the whole trace.
        d.find_element(By.CSS_SELECTOR, "#machine-pick option[value='bb5.ron']").click()
        wait("bb5", lambda: "bb5" in d.find_element(By.ID, "message").text and "certified" in d.find_element(By.ID, "message").text)
        rows = d.execute_script("return arsimViewer.state.summary.rows")
        assert rows == 10001, rows
        t = time.time()
        set_field(d, "goto", "9990")
        d.find_element(By.ID, "go").click()
        wait("row 9990", lambda: "row 9990 of 10000" in d.find_element(By.ID, "position").text)
        jump = time.time() - t
        pages = d.execute_script("return arsimViewer.state.pages.size")
        assert pages <= 6, pages
        assert jump < 5, jump
        step_tokens(d, 5)
        check_scores(d)
        print(f"bb5: jumped to row 9990 of 10000 in {jump:.2f} s, {pages} pages of 32 rows held")
        errors = console_errors(d)
        assert not errors, errors
        shot(d, "05-bb5-row-9990.png")

        # The offline page: no server.
        html = os.path.abspath(os.path.join(OUT, "bb4.html"))
        subprocess.run([ARSIM, "trace", "machines/bb4.ron", "--html", html], cwd=ROOT, check=True)
        d.get("file://" + html)
        wait("the embedded run", lambda: "embedded" in d.find_element(By.ID, "message").text)
        step_tokens(d, 30)
        assert shown_tokens(d) == cli[:45]
        check_scores(d)
        errors = console_errors(d)
        assert not errors, errors
        shot(d, "06-offline-bb4.png")
        print("all browser checks passed")
    finally:
        if d is not None:
            d.quit()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
