//! Circuits in `.ron` files: a [`CircuitSpec`] names the inputs (the prompt, in order) and the
//! gates, each with its threshold and weighted inputs by name.
//!
//! ```ron
//! (
//!     name: "xor",
//!     inputs: ["a", "b"],
//!     gates: [
//!         (name: "and", threshold: 2, inputs: [("a", 1), ("b", 1)]),
//!         (name: "xor", threshold: 1, inputs: [("a", 1), ("b", 1), ("and", -2)]),
//!     ],
//!     outputs: ["xor"],
//! )
//! ```
//!
//! A file may list gates in any order; loading puts them in a topological order (Kahn's
//! algorithm on a petgraph graph, earliest-listed gate first, so a file already in order keeps
//! it), and that order is the chain of thought.

use super::{CircuitError, NodeId, ThresholdCircuit};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

/// A circuit as written in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitSpec {
    /// The circuit's name.
    pub name: String,
    /// What it computes.
    #[serde(default)]
    pub description: String,
    /// Input names, in prompt order.
    pub inputs: Vec<String>,
    /// The gates.
    pub gates: Vec<GateSpec>,
    /// Names of the answer nodes.
    #[serde(default)]
    pub outputs: Vec<String>,
}

/// A gate as written in a file: `1[Σ weight·input ≥ threshold]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateSpec {
    /// Unique name.
    pub name: String,
    /// θ.
    pub threshold: i32,
    /// (node name, weight) pairs.
    pub inputs: Vec<(String, i32)>,
}

/// Why a circuit file cannot be read or written; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CircuitFileError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A RON syntax or type error.
    #[error("{path}:{line}:{col}: {message}")]
    Ron {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What RON said.
        message: String,
    },
    /// The circuit is malformed.
    #[error("{path}: {source}")]
    Circuit {
        /// The file.
        path: String,
        /// What is wrong.
        source: CircuitError,
    },
}

impl ThresholdCircuit {
    /// The circuit as a spec (gates in chain-of-thought order).
    pub fn to_spec(&self) -> CircuitSpec {
        let name = |id: NodeId| self.node(id).name.clone();
        CircuitSpec {
            name: self.name().to_string(),
            description: String::new(),
            inputs: self.inputs().iter().map(|&i| name(i)).collect(),
            gates: self
                .gates()
                .iter()
                .map(|&g| GateSpec {
                    name: name(g),
                    threshold: self.threshold(g).unwrap_or(0),
                    inputs: self
                        .gate_inputs(g)
                        .into_iter()
                        .map(|(u, w)| (name(u), w))
                        .collect(),
                })
                .collect(),
            outputs: self.outputs().iter().map(|&o| name(o)).collect(),
        }
    }

    /// Builds a circuit from a spec, putting the gates in topological order.
    pub fn from_spec(spec: &CircuitSpec) -> Result<ThresholdCircuit, CircuitError> {
        let mut c = ThresholdCircuit::new(spec.name.clone());
        for name in &spec.inputs {
            c.add_input(name.clone())?;
        }
        let gate_index: HashMap<&str, usize> = spec
            .gates
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.as_str(), i))
            .collect();
        // Dependency graph of the gates: an edge u → v when gate v reads gate u.
        let mut graph: DiGraph<usize, ()> = DiGraph::new();
        let ix: Vec<NodeIndex> = (0..spec.gates.len()).map(|i| graph.add_node(i)).collect();
        for (v, g) in spec.gates.iter().enumerate() {
            for (input, _) in &g.inputs {
                if let Some(&u) = gate_index.get(input.as_str()) {
                    graph.add_edge(ix[u], ix[v], ());
                } else if c.find(input).is_none() {
                    return Err(CircuitError::UnknownNode {
                        gate: g.name.clone(),
                        input: input.clone(),
                    });
                }
            }
        }
        // Kahn's algorithm, earliest-listed ready gate first.
        let mut indegree: Vec<usize> = ix
            .iter()
            .map(|&i| {
                graph
                    .neighbors_directed(i, petgraph::Direction::Incoming)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> = indegree
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d == 0)
            .map(|(i, _)| Reverse(i))
            .collect();
        let mut placed = vec![false; spec.gates.len()];
        while let Some(Reverse(v)) = ready.pop() {
            placed[v] = true;
            let g = &spec.gates[v];
            let mut inputs = Vec::with_capacity(g.inputs.len());
            for (input, w) in &g.inputs {
                // Every name was checked above, and gates it reads are already placed.
                let id = c.find(input).ok_or_else(|| CircuitError::UnknownNode {
                    gate: g.name.clone(),
                    input: input.clone(),
                })?;
                inputs.push((id, *w));
            }
            c.add_gate(g.name.clone(), &inputs, g.threshold)?;
            for u in graph.neighbors_directed(ix[v], petgraph::Direction::Outgoing) {
                let u = graph[u];
                indegree[u] -= 1;
                if indegree[u] == 0 {
                    ready.push(Reverse(u));
                }
            }
        }
        if let Some(v) = placed.iter().position(|&p| !p) {
            return Err(CircuitError::Cycle(spec.gates[v].name.clone()));
        }
        for name in &spec.outputs {
            let id = c.find(name).ok_or_else(|| CircuitError::UnknownNode {
                gate: "outputs".into(),
                input: name.clone(),
            })?;
            c.add_output(id);
        }
        Ok(c)
    }
}

/// Parses a circuit from `.ron` text; `path` names it in errors.
pub fn from_ron_text(text: &str, path: &str) -> Result<ThresholdCircuit, CircuitFileError> {
    let spec: CircuitSpec = ron::from_str(text).map_err(|e| CircuitFileError::Ron {
        path: path.to_string(),
        line: e.span.start.line,
        col: e.span.start.col,
        message: e.code.to_string(),
    })?;
    ThresholdCircuit::from_spec(&spec).map_err(|source| CircuitFileError::Circuit {
        path: path.to_string(),
        source,
    })
}

/// The circuit as pretty `.ron` text.
pub fn to_ron(circuit: &ThresholdCircuit) -> String {
    let config = ron::ser::PrettyConfig::new()
        .depth_limit(2)
        .separate_tuple_members(false)
        .indentor("    ".to_string());
    // Serialising strings, integers and vectors cannot fail.
    ron::ser::to_string_pretty(&circuit.to_spec(), config).unwrap_or_default() + "\n"
}

/// Reads a circuit from a `.ron` file.
pub fn read_circuit(path: &Path) -> Result<ThresholdCircuit, CircuitFileError> {
    let shown = path.display().to_string();
    let text = crate::fs::read_text_bounded(path, crate::limits::MAX_FILE).map_err(|source| {
        CircuitFileError::Io {
            path: shown.clone(),
            source,
        }
    })?;
    from_ron_text(&text, &shown)
}

/// Writes a circuit to a `.ron` file (whole, or not at all).
pub fn write_circuit(circuit: &ThresholdCircuit, path: &Path) -> Result<(), CircuitFileError> {
    crate::fs::write_atomic(path, to_ron(circuit).as_bytes()).map_err(|e| CircuitFileError::Io {
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const XOR: &str = r#"(
        name: "xor",
        inputs: ["a", "b"],
        gates: [
            (name: "xor", threshold: 1, inputs: [("a", 1), ("b", 1), ("and", -2)]),
            (name: "and", threshold: 2, inputs: [("a", 1), ("b", 1)]),
        ],
        outputs: ["xor"],
    )"#;

    #[test]
    fn out_of_order_gates_are_sorted_topologically() {
        let c = from_ron_text(XOR, "xor.ron").unwrap();
        let names: Vec<&str> = c.gates().iter().map(|&g| c.node(g).name.as_str()).collect();
        assert_eq!(names, ["and", "xor"]);
        assert!(c.is_topologically_ordered());
        for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
            assert_eq!(c.evaluate(&[a, b]).unwrap()[1], a ^ b);
        }
    }

    #[test]
    fn round_trips_through_a_file() {
        let c = from_ron_text(XOR, "xor.ron").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ron");
        write_circuit(&c, &path).unwrap();
        let d = read_circuit(&path).unwrap();
        assert_eq!(c.to_spec(), d.to_spec());
    }

    #[test]
    fn errors_name_the_file_and_problem() {
        let cyc = r#"(name: "c", inputs: ["a"], gates: [
            (name: "g", threshold: 1, inputs: [("h", 1)]),
            (name: "h", threshold: 1, inputs: [("g", 1)]),
        ])"#;
        let e = from_ron_text(cyc, "c.ron").unwrap_err().to_string();
        assert_eq!(
            e,
            "c.ron: gate `g` is on a cycle: a circuit must be acyclic"
        );
        let unknown =
            r#"(name: "c", inputs: ["a"], gates: [(name: "g", threshold: 1, inputs: [("z", 1)])])"#;
        let e = from_ron_text(unknown, "u.ron").unwrap_err().to_string();
        assert!(e.contains("`z`"), "{e}");
        let syntax = "(name: \"c\", inputs: [\"a\"], gates: [(name: 3)])";
        let e = from_ron_text(syntax, "s.ron").unwrap_err().to_string();
        assert!(e.starts_with("s.ron:1:"), "{e}");
    }
}
