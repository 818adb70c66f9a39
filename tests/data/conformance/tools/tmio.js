// Runs a turingmachine.io machine (JSON from tmio_yaml_to_json.py) on the site's own tape
// and machine code (src/tape/Tape.js, src/TuringMachine.js of
// github.com/aepsilon/turing-machine-viz, BSD-3-Clause), with the table read as parser.js and
// StateGraph.js read it (keys split at commas, a missing state stays put, a missing write
// keeps the symbol). Prints steps, final state and tape. Usage:
//   node tmio.js path/to/turing-machine-viz/src machine.json [max_steps]
'use strict';
const fs = require('fs');
const Module = require('module');
const [src, file, limitArg] = process.argv.slice(2);
const limit = Number(limitArg || 1000000);
// The tape needs two lodash/fp functions; give it those instead of the package.
const origLoad = Module._load;
Module._load = function (req, ...rest) {
  if (req === 'lodash/fp') {
    return { last: (a) => a[a.length - 1], isEmpty: (a) => a.length === 0 };
  }
  return origLoad.call(this, req, ...rest);
};
const Tape = require(src + '/tape/Tape.js');
const TM = require(src + '/TuringMachine.js');
const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
const blank = String(spec.blank);
const synonyms = spec.synonyms || {};
function instr(v) {
  if (typeof v === 'string') {
    if (v === 'L') return { move: TM.MoveHead.left };
    if (v === 'R') return { move: TM.MoveHead.right };
    return instr(synonyms[v]);
  }
  const out = {};
  if ('L' in v) { out.move = TM.MoveHead.left; out.state = v.L; }
  if ('R' in v) { out.move = TM.MoveHead.right; out.state = v.R; }
  if ('write' in v) out.symbol = String(v.write);
  return out;
}
const table = {};
for (const state of Object.keys(spec.table)) {
  const row = spec.table[state];
  table[state] = {};
  if (row == null) continue;
  for (const key of Object.keys(row)) {
    const symbols = key.split(',').reduce(function (acc, x) {
      if (x === '' && acc[acc.length - 1] === '') { acc[acc.length - 1] = ','; } else { acc.push(x); }
      return acc;
    }, []);
    const i = instr(row[key]);
    for (const s of symbols) {
      table[state][s] = { move: i.move, state: i.state != null ? String(i.state) : state,
        symbol: i.symbol != null ? i.symbol : s };
    }
  }
}
const input = spec.input != null ? String(spec.input).split('') : [];
const tape = new Tape(blank, input);
const machine = new TM.TuringMachine((q, s) => (table[q] || {})[s], String(spec['start state']), tape);
let steps = 0;
while (steps < limit && machine.step()) steps++;
const cells = tape.tape.before.concat(tape.tape.after.slice().reverse()).join('');
const shown = cells.replace(new RegExp('^[' + blank.replace(/[\]\\^-]/g, '\\$&') + ']+|[' +
  blank.replace(/[\]\\^-]/g, '\\$&') + ']+$', 'g'), '');
console.log(JSON.stringify({ steps, state: machine.state, tape: shown,
  input: spec.input != null ? String(spec.input) : null, halted: steps < limit }));
