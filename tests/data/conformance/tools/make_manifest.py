"""Writes ../manifest.json: for every example file, the figures its own tool gives (steps,
final state, final tape), measured by running the tool's own code:
  morphett/*.txt        node morphett.js JSTURING FILE LIMIT   (github.com/awmorp/turing)
  turingmachine.io/*.yaml  node tmio.js SRC JSON LIMIT         (github.com/aepsilon/turing-machine-viz)
and bbchallenge's figures as bbchallenge-seed's lib_bbchallenge/BB_values.go and
simulate_test.go state them. Usage (from this folder):
  python3 make_manifest.py /path/to/awmorp-turing/jsturing.js /path/to/turing-machine-viz/src
"""
import json
import os
import subprocess
import sys

LIMIT = 1000
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
jsturing, tmsrc = sys.argv[1], sys.argv[2]
entries = []
for name in sorted(os.listdir(os.path.join(root, "morphett"))):
    if not name.endswith(".txt"):
        continue
    out = subprocess.run(["node", os.path.join(here, "morphett.js"), jsturing,
                          os.path.join(root, "morphett", name), str(LIMIT)],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    halted = r["state"][:4].lower() == "halt"
    entries.append({"file": "morphett/" + name, "tool": "morphett", "max_steps": LIMIT,
                    "steps": r["steps"], "halted": halted, "state": r["state"],
                    "tape": r["tape"], "blank": "_"})
for name in sorted(os.listdir(os.path.join(root, "turingmachine.io"))):
    if not name.endswith(".yaml"):
        continue
    js = subprocess.run([sys.executable, os.path.join(here, "tmio_yaml_to_json.py"),
                         os.path.join(root, "turingmachine.io", name)],
                        capture_output=True, text=True, check=True).stdout
    blank = str(json.loads(js)["blank"])
    tmp = os.path.join(here, ".machine.json")
    open(tmp, "w").write(js)
    out = subprocess.run(["node", os.path.join(here, "tmio.js"), tmsrc, tmp, str(LIMIT)],
                         capture_output=True, text=True, check=True).stdout
    os.remove(tmp)
    r = json.loads(out.strip().splitlines()[-1])
    entries.append({"file": "turingmachine.io/" + name, "tool": "turingmachine.io",
                    "max_steps": LIMIT, "steps": r["steps"], "halted": r["halted"],
                    "state": r["state"], "tape": r["tape"], "blank": blank})
# bbchallenge-seed, lib_bbchallenge/BB_values.go (steps) and simulate_test.go (the seed vector).
for machine, steps in [("1RB1LB_1LA1RZ", 6), ("1RB1RZ_1LB0RC_1LC1LA", 21),
                       ("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", 107),
                       ("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA", 47176870),
                       ("1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA", 47176870),
                       ("bbchallenge/bb5_simulate_test.seed", 47176870)]:
    entries.append({"file": machine, "tool": "bbchallenge", "max_steps": 50000000,
                    "steps": steps, "halted": True, "state": None, "tape": None,
                    "blank": "0"})
json.dump(entries, open(os.path.join(root, "manifest.json"), "w"), indent=1, ensure_ascii=False)
