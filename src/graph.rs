//! The state graph of a machine: a petgraph [`DiGraph`] with one node per state and one edge
//! per (from, to) pair of states, labelled with every rule it stands for as
//! `read/write,move`; written as Graphviz DOT for `arsim dot`, and drawn by Graphviz's `dot`
//! program when it is installed.
//!
//! It sits beside the pipeline: it reads a validated [`Machine`] and nothing reads it back.
//! In the drawing, the start state is filled green with an arrow coming in, halting states
//! are double circles, and a state with missing rules (where a run stops with `no-rule`) is
//! dashed.

use crate::machine::{Machine, StateId};
use petgraph::graph::{DiGraph, NodeIndex};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A state of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateNode {
    /// The state's name.
    pub name: String,
    /// Whether it is the start state.
    pub start: bool,
    /// Whether it is a halting state.
    pub halting: bool,
    /// Whether some symbol has no rule here (a non-halting state only).
    pub partial: bool,
}

/// The state graph: edge weights are the rule labels `read/write,move`, one per rule.
pub type StateGraph = DiGraph<StateNode, Vec<String>>;

/// Why a picture of the graph could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graphviz is not installed.
    #[error("drawing the graph needs Graphviz's `dot` program, which was not found ({0}); install Graphviz (e.g. apt-get install graphviz) or write the DOT text and render it elsewhere")]
    NoGraphviz(std::io::Error),
    /// `dot` ran but failed.
    #[error("graphviz dot failed: {0}")]
    DotFailed(String),
    /// An I/O error talking to `dot`.
    #[error("running graphviz dot: {0}")]
    Io(#[from] std::io::Error),
}

/// Builds the state graph of a machine; node `i` is state `i`.
pub fn state_graph(m: &Machine) -> StateGraph {
    let mut g = StateGraph::new();
    for (i, name) in m.states().iter().enumerate() {
        let q = StateId(i as u16);
        let partial = !m.is_halting(q)
            && (0..m.num_symbols()).any(|s| m.rule(q, crate::machine::SymbolId(s as u8)).is_none());
        g.add_node(StateNode {
            name: name.clone(),
            start: q == m.start(),
            halting: m.is_halting(q),
            partial,
        });
    }
    for (q, s, t) in m.rules() {
        let label = format!(
            "{}/{},{}",
            m.symbol_char(s),
            m.symbol_char(t.write),
            t.movement.letter()
        );
        let (a, b) = (NodeIndex::new(q.index()), NodeIndex::new(t.next.index()));
        match g.find_edge(a, b) {
            Some(e) => g[e].push(label),
            None => {
                g.add_edge(a, b, vec![label]);
            }
        }
    }
    g
}

/// A DOT string literal.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The graph as Graphviz DOT text: nodes `q0, q1, …` labelled with state names, edges
/// labelled with their rules one per line, and an invisible `start` point pointing at the
/// start state.
pub fn to_dot(m: &Machine) -> String {
    let g = state_graph(m);
    let mut out = format!("digraph {} {{\n", quote(m.name()));
    out.push_str("  rankdir=LR;\n  node [shape=circle, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  start [shape=point, style=invis];\n");
    for i in g.node_indices() {
        let n = &g[i];
        let mut attrs = vec![format!("label={}", quote(&n.name))];
        if n.halting {
            attrs.push("shape=doublecircle".into());
        }
        // The start state is filled (and dashed when partial); never a second periphery,
        // which is the halting states' double circle.
        match (n.start, n.partial) {
            (true, true) => attrs.push("style=\"filled,dashed\", fillcolor=\"#c8f0c8\"".into()),
            (true, false) => attrs.push("style=filled, fillcolor=\"#c8f0c8\"".into()),
            (false, true) => attrs.push("style=dashed".into()),
            (false, false) => {}
        }
        out.push_str(&format!("  q{} [{}];\n", i.index(), attrs.join(", ")));
    }
    out.push_str(&format!("  start -> q{};\n", m.start().index()));
    for e in g.edge_indices() {
        let Some((a, b)) = g.edge_endpoints(e) else {
            continue;
        };
        out.push_str(&format!(
            "  q{} -> q{} [label={}];\n",
            a.index(),
            b.index(),
            quote(&g[e].join("\n"))
        ));
    }
    out.push_str("}\n");
    out
}

/// Renders DOT text to PNG bytes with Graphviz's `dot` program (`dot -Tpng`).
pub fn dot_to_png(dot: &str) -> Result<Vec<u8>, GraphError> {
    dot_to_png_with(Path::new("dot"), dot)
}

/// As [`dot_to_png`], with the path of the `dot` program.
pub(crate) fn dot_to_png_with(program: &Path, dot: &str) -> Result<Vec<u8>, GraphError> {
    let mut child = Command::new(program)
        .arg("-Tpng")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GraphError::NoGraphviz)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(dot.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(GraphError::DotFailed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load_machine;

    #[test]
    fn bb2_graph_nodes_edges_and_labels() {
        let m = load_machine("1RB1LB_1LA1RZ").unwrap();
        let g = state_graph(&m);
        assert_eq!(g.node_count(), 3);
        // A→B (both rules), B→A, B→Z.
        assert_eq!(g.edge_count(), 3);
        let ab = g.find_edge(NodeIndex::new(0), NodeIndex::new(1)).unwrap();
        assert_eq!(g[ab], ["0/1,R", "1/1,L"]);
        assert!(g[NodeIndex::new(2)].halting);
        let dot = to_dot(&m);
        assert!(dot.contains("q2 [label=\"Z\", shape=doublecircle]"));
        assert!(dot.contains("q0 -> q1 [label=\"0/1,R\\n1/1,L\"]"));
    }

    #[test]
    fn missing_graphviz_is_a_clear_error() {
        let e = dot_to_png_with(Path::new("/nonexistent/dot"), "digraph {}").unwrap_err();
        assert!(matches!(e, GraphError::NoGraphviz(_)));
        assert!(e.to_string().contains("install Graphviz"));
    }

    #[test]
    fn a_partial_start_state_is_not_drawn_as_halting() {
        let spec = crate::machine::standard::parse_with(
            "1RB---_1LA1RZ",
            crate::machine::Undefined::NoRule,
        )
        .unwrap();
        let m = crate::machine::validate(&spec, None, None).unwrap();
        let dot = to_dot(&m);
        assert!(
            dot.contains("q0 [label=\"A\", style=\"filled,dashed\", fillcolor=\"#c8f0c8\"];"),
            "{dot}"
        );
        assert!(!dot.contains("peripheries"), "{dot}");
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
