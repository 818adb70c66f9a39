// Runs a Morphett sample program through Morphett's own simulator code (jsturing.js from
// github.com/awmorp/turing, public domain) with its page stubbed out, and prints the figures
// the page would show: steps, state, tape. Usage:
//   node morphett.js path/to/jsturing.js machine.txt [max_steps]
// The initial tape is the file's `$INITIAL_TAPE:` comment, found as LoadSampleProgram does.
'use strict';
const fs = require('fs');
const vm = require('vm');
const [jsturing, file, limitArg] = process.argv.slice(2);
const limit = Number(limitArg || 1000000);
let data = fs.readFileSync(file, 'utf8');
let tape = '';
const m = new RegExp(';.*\\$INITIAL_TAPE:? *(.+)$').exec(data);
if (m != null && m.length >= 2) {
  tape = m[1];
  data = data.replace(/^.*\$INITIAL_TAPE:.*$/m, '');
}
const elems = {
  '#InitialInput': [{ value: tape }],
  '#InitialState': [{ value: '0' }],
  '#MachineVariant': [{ options: [{ value: 0 }], selectedIndex: 0 }],
};
const stub = function (sel) {
  const r = elems[sel] || [{}];
  r.toggle = r.css = r.append = r.empty = r.hide = r.show = () => r;
  return r;
};
stub.trim = (s) => s.trim();
stub.map = (a, f) => a.map(f);
const ctx = { $: stub, document: { getElementById: () => ({}) }, window: {}, console };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(jsturing, 'utf8'), ctx);
for (const f of ['UpdateInterface', 'SetStatusMessage', 'EnableControls', 'SetSyntaxMessage',
  'SetErrorLine', 'ClearErrorLines', 'debug', 'ShowResetMsg', 'SetupVariantCSS', 'TextareaChanged',
  'VariantChanged', 'UpdateTextareaDecorations', 'ClearSyntaxMessage']) {
  ctx[f] = () => {};
}
ctx.oTextarea = { value: data };
vm.runInContext('Reset(); var __n = 0; while (Step() && nSteps < ' + limit + ') {}', ctx);
const shown = ctx.sTape.replace(/^_+|_+$/g, '');
console.log(JSON.stringify({ steps: ctx.nSteps, state: ctx.sState, tape: shown, input: tape }));
