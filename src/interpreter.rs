//! The reference interpreter: runs a [`Machine`] on a tape that grows both ways.
//!
//! It depends on nothing but the machine model, and every other engine is checked against it.
//! The step loop allocates nothing (the tape doubles, rarely, when the head reaches an end)
//! and reads one packed table entry per step, with the next symbol selected from the head's
//! preloaded neighbours rather than loaded after the move; `benches/interpreter.rs` compares it
//! with the plainest array-and-table loop, and `benches/baseline/bb5.c` is that loop in C.

use crate::machine::{Input, Machine, StateId, Stop, SymbolId};
use serde::Serialize;

/// One table entry, packed so that a step reads 8 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Op {
    /// The next state's first table index, `next · |Γ|`: the next lookup is one add away.
    next_base: u32,
    write: u8,
    /// Bits 0-1: move + 1 (0 = L, 1 = S, 2 = R); bit 2: `next` halts; bit 3: no rule.
    flags: u8,
}

const HALTS: u8 = 4;
const NO_RULE: u8 = 8;

/// A run of a machine from an input, advanced by [`Interpreter::run`].
#[derive(Clone, Debug)]
pub struct Interpreter<'m> {
    machine: &'m Machine,
    table: Vec<Op>,
    tape: Vec<u8>,
    /// Index in `tape` of cell 0 (where the input starts).
    origin: usize,
    pos: usize,
    state: u16,
    steps: u64,
    lo: usize,
    hi: usize,
    stop: Option<Stop>,
}

/// The outcome of a run, as `arsim run` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Steps taken (a transition into a halting state counts).
    pub steps: u64,
    /// Why the run stopped.
    pub stop: Stop,
    /// Final state's name.
    pub state: String,
    /// Final head position (cell 0 is where the input starts).
    pub head: i64,
    /// Tape from the leftmost to the rightmost non-blank cell.
    pub tape: String,
    /// Cell number of the first character of `tape`.
    pub tape_start: i64,
    /// Number of non-blank cells.
    pub nonblank: u64,
    /// Leftmost and rightmost head positions during the run.
    pub cells: [i64; 2],
}

impl RunSummary {
    /// The smallest tape window holding every visited cell and every input cell, as
    /// (window size S, index of cell 0 in the window).
    pub fn window(&self, input_len: usize) -> (usize, usize) {
        let lo = self.cells[0].min(0);
        let hi = self.cells[1].max(input_len as i64 - 1);
        ((hi - lo + 1) as usize, (-lo) as usize)
    }
}

impl<'m> Interpreter<'m> {
    /// Starts a run: `input` at cells 0..n, head on the input's start cell, start state.
    pub fn new(machine: &'m Machine, input: &Input) -> Interpreter<'m> {
        let k = machine.num_symbols();
        let table = (0..machine.num_states() * k)
            .map(
                |i| match machine.rule(StateId((i / k) as u16), SymbolId((i % k) as u8)) {
                    None => Op {
                        next_base: ((i / k) * k) as u32,
                        write: (i % k) as u8,
                        flags: NO_RULE | 1,
                    },
                    Some(t) => Op {
                        next_base: (t.next.index() * k) as u32,
                        write: t.write.0,
                        flags: (t.movement.delta() + 1) as u8
                            | if machine.is_halting(t.next) { HALTS } else { 0 },
                    },
                },
            )
            .collect();
        let margin = 1024;
        let mut tape = vec![machine.blank().0; 2 * margin + input.span()];
        for (i, s) in input.iter().enumerate() {
            tape[margin + i] = s.0;
        }
        let stop = machine.is_halting(machine.start()).then_some(Stop::Halted);
        // The start cell is visited: the visited range starts there.
        let pos = margin + input.head;
        Interpreter {
            machine,
            table,
            tape,
            origin: margin,
            pos,
            state: machine.start().0,
            steps: 0,
            lo: pos,
            hi: pos,
            stop,
        }
    }

    /// Runs until the machine halts, finds no rule, or has taken `max_steps` steps in all.
    ///
    /// Can be called again with a larger limit to continue a run cut by the step limit.
    pub fn run(&mut self, max_steps: u64) -> Stop {
        if let Some(s) = self.stop.filter(|&s| s != Stop::StepLimit) {
            return s;
        }
        let k = self.machine.num_symbols();
        // Local copies keep the loop in registers; `base` is the state's first table index.
        let (mut pos, mut base, mut steps) = (self.pos, self.state as usize * k, self.steps);
        let (mut lo, mut hi) = (self.lo, self.hi);
        let stop = loop {
            if steps >= max_steps {
                // A configuration without a rule is final whatever the limit: the run ended
                // there, as the encodings' traces also report it.
                let op = self.table[base + self.tape[pos] as usize];
                break if op.flags & NO_RULE != 0 {
                    Stop::NoRule
                } else {
                    Stop::StepLimit
                };
            }
            let tape = &mut self.tape;
            let len = tape.len();
            // Run a stretch without growth checks: the head moves at most one cell per step,
            // so within `room` steps it stays on cells 1..len-2 and both neighbours exist.
            let room = (pos.min(len - 1 - pos) as u64).min(max_steps - steps);
            let mut result = None;
            // The symbol under the head, kept in a register. The step's critical path is the
            // table load: both neighbours are loaded as soon as the head's position is known,
            // so the next symbol is a select on the move, not a load after it (the plain loop
            // waits for the move, then loads the cell, then loads the table entry).
            let mut cur = tape[pos] as usize;
            for _ in 0..room {
                let op = self.table[base + cur];
                if op.flags & NO_RULE != 0 {
                    result = Some(Stop::NoRule);
                    break;
                }
                let (left, right) = (tape[pos - 1], tape[pos + 1]);
                tape[pos] = op.write;
                base = op.next_base as usize;
                let m = op.flags & 3;
                cur = match m {
                    0 => left,
                    1 => op.write,
                    _ => right,
                } as usize;
                pos = (pos + m as usize) - 1;
                steps += 1;
                if op.flags & HALTS != 0 {
                    result = Some(Stop::Halted);
                    break;
                }
                // Visited range: updated per step, branch-free (cmov).
                lo = lo.min(pos);
                hi = hi.max(pos);
            }
            lo = lo.min(pos);
            hi = hi.max(pos);
            if let Some(r) = result {
                break r;
            }
            if pos == 0 || pos == self.tape.len() - 1 {
                if self.tape.len() >= crate::limits::MAX_TAPE_CELLS {
                    break Stop::TapeLimit;
                }
                let shift = self.grow();
                pos += shift;
                lo += shift;
                hi += shift;
            }
        };
        let state = base / k;
        self.pos = pos;
        self.state = state as u16;
        self.steps = steps;
        self.lo = lo;
        self.hi = hi;
        self.stop = Some(stop);
        stop
    }

    /// Doubles the tape, keeping the content centred; returns how far indices moved.
    #[cold]
    fn grow(&mut self) -> usize {
        let old = self.tape.len();
        let shift = old / 2 + 1;
        let mut tape = vec![self.machine.blank().0; old * 2 + 2];
        tape[shift..shift + old].copy_from_slice(&self.tape);
        self.tape = tape;
        self.origin += shift;
        shift
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Current state.
    pub fn state(&self) -> StateId {
        StateId(self.state)
    }

    /// Current head position relative to cell 0.
    pub fn head(&self) -> i64 {
        self.pos as i64 - self.origin as i64
    }

    /// The symbol on cell `cell` (relative to cell 0).
    pub fn cell(&self, cell: i64) -> SymbolId {
        let i = cell + self.origin as i64;
        if i < 0 || i as usize >= self.tape.len() {
            self.machine.blank()
        } else {
            SymbolId(self.tape[i as usize])
        }
    }

    /// Summarises the run so far.
    pub fn summary(&self) -> RunSummary {
        let blank = self.machine.blank().0;
        let first = self.tape.iter().position(|&s| s != blank);
        let last = self.tape.iter().rposition(|&s| s != blank);
        let (tape, tape_start) = match (first, last) {
            (Some(a), Some(b)) => (
                self.tape[a..=b]
                    .iter()
                    .map(|&s| self.machine.symbol_char(SymbolId(s)))
                    .collect(),
                a as i64 - self.origin as i64,
            ),
            _ => (String::new(), 0),
        };
        RunSummary {
            steps: self.steps,
            stop: self.stop.unwrap_or(Stop::StepLimit),
            state: self.machine.state_name(StateId(self.state)).to_string(),
            head: self.head(),
            tape,
            tape_start,
            nonblank: self.tape.iter().filter(|&&s| s != blank).count() as u64,
            cells: [
                self.lo as i64 - self.origin as i64,
                self.hi as i64 - self.origin as i64,
            ],
        }
    }
}

/// Runs `machine` on `input` for at most `max_steps` steps and summarises the run.
pub fn run(machine: &Machine, input: &Input, max_steps: u64) -> RunSummary {
    let mut it = Interpreter::new(machine, input);
    it.run(max_steps);
    it.summary()
}

/// The report of `arsim run --json` and of the Python package's `Machine.run`, built here once
/// so the two cannot drift apart: the machine's name and the input beside the run's summary
/// (its keys at the same level; docs/json.md lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The machine's name.
    pub machine: String,
    /// The input, as the machine's symbols (without a head marker).
    pub input: String,
    /// The cell the head started on (0: the input's first).
    pub head_start: usize,
    /// The convention a rule of the machine was read under, when its source gives one
    /// ([`Machine::convention`]).
    pub convention: Option<String>,
    /// How the run went.
    #[serde(flatten)]
    pub run: RunSummary,
}

impl RunReport {
    /// The report of `run`, a run of `machine` from `input`.
    pub fn new(machine: &Machine, input: &Input, run: RunSummary) -> RunReport {
        RunReport {
            machine: machine.name().to_string(),
            input: machine.render(input),
            head_start: input.head,
            convention: machine.convention().map(str::to_string),
            run,
        }
    }
}

/// Runs `machine` on `input` for at most `max_steps` steps and reports the run
/// ([`run`], then [`RunReport::new`]).
pub fn run_report(machine: &Machine, input: &Input, max_steps: u64) -> RunReport {
    RunReport::new(machine, input, run(machine, input, max_steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn run_report_keys_sit_at_one_level() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let v = serde_json::to_value(run_report(&m, &Input::default(), 1000)).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        // The summary's keys sit beside the machine and the input, not under a key of their own.
        assert_eq!(
            keys,
            [
                "cells",
                "convention",
                "head",
                "head_start",
                "input",
                "machine",
                "nonblank",
                "state",
                "steps",
                "stop",
                "tape",
                "tape_start"
            ]
        );
        assert_eq!(
            (v["machine"].as_str(), v["steps"].as_u64()),
            (Some("1RB1LB_1LA1RZ"), Some(6))
        );
    }

    #[test]
    fn bb2_and_bb3_counts() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let r = run(&m, &Input::default(), 1000);
        assert_eq!((r.steps, r.stop, r.nonblank), (6, Stop::Halted, 4));
        assert_eq!(r.tape, "1111");
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let r = run(&m, &Input::default(), 1000);
        assert_eq!((r.steps, r.nonblank), (21, 5));
    }

    #[test]
    fn growth_both_ways_and_resume() {
        // Sweeps right forever: 5000 steps cross several growths.
        let m = from_standard("1RA1RA", "right").unwrap();
        let mut it = Interpreter::new(&m, &Input::default());
        assert_eq!(it.run(3000), Stop::StepLimit);
        assert_eq!(it.run(5000), Stop::StepLimit);
        let r = it.summary();
        assert_eq!(
            (r.steps, r.nonblank, r.head, r.cells),
            (5000, 5000, 5000, [0, 5000])
        );
        let m = from_standard("1LA1LA", "left").unwrap();
        let r = run(&m, &Input::default(), 5000);
        assert_eq!((r.head, r.tape_start, r.cells), (-5000, -4999, [-5000, 0]));
    }

    #[test]
    fn no_rule_stops_without_a_step() {
        let spec = crate::machine::standard::parse_with(
            "1RB---_1LA---",
            crate::machine::Undefined::NoRule,
        )
        .unwrap();
        let m = crate::machine::validate(&spec, None, None).unwrap();
        let r = run(&m, &Input::default(), 100);
        assert_eq!((r.steps, r.stop, r.state.as_str()), (2, Stop::NoRule, "A"));
        // Reaching it exactly at the step limit is still a no-rule stop, as in the traces.
        assert_eq!(run(&m, &Input::default(), 2).stop, Stop::NoRule);
        assert_eq!(run(&m, &Input::default(), 1).stop, Stop::StepLimit);
        // bbchallenge's reading of `---`: one more step, into the halting state.
        let m = from_standard("1RB---_1LA---", "x").unwrap();
        let r = run(&m, &Input::default(), 100);
        assert_eq!((r.steps, r.stop, r.state.as_str()), (3, Stop::Halted, "Z"));
    }

    #[test]
    fn a_run_starts_on_the_inputs_head_cell() {
        // bb2 from cell 1 of `11`: reads 1 in A, writes 1, moves left onto cell 0.
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let input = Input::new(vec![SymbolId(1), SymbolId(1)], 1);
        let mut it = Interpreter::new(&m, &input);
        assert_eq!(
            (it.head(), it.cell(0), it.cell(1)),
            (1, SymbolId(1), SymbolId(1))
        );
        it.run(1);
        let r = it.summary();
        assert_eq!((r.head, r.cells, r.state.as_str()), (0, [0, 1], "B"));
        // Beyond the input: the start cell is visited, so the window holds it.
        let far = Input::new(vec![SymbolId(1)], 3);
        let r = run(&m, &far, 0);
        assert_eq!((r.head, r.cells, r.window(far.len())), (3, [3, 3], (4, 0)));
        assert_eq!(run_report(&m, &far, 0).head_start, 3);
    }
}
