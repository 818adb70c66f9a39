//! The [`ThresholdCircuit`]: input bits and gates `1[Σ w·x ≥ θ]` in a petgraph DAG, kept in
//! topological (= chain-of-thought) order, with evaluation and statistics.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use serde::Serialize;
use std::collections::HashMap;

/// A node of a circuit (an input bit or a gate), as an index into its graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

impl NodeId {
    fn ix(self) -> NodeIndex<u32> {
        NodeIndex::new(self.0 as usize)
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Input bit `index` (prompt position `index`).
    Input {
        /// Position among the inputs.
        index: u32,
    },
    /// Gate `index` in topological order (token `inputs + index` of the chain of thought).
    Gate {
        /// Position among the gates.
        index: u32,
        /// The threshold θ of `1[Σ w·x ≥ θ]`.
        threshold: i32,
    },
}

/// A node with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Unique name (used in `.ron` files and reports).
    pub name: String,
    /// Input or gate.
    pub kind: NodeKind,
}

/// Why a circuit cannot be built or evaluated as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum CircuitError {
    /// Two nodes share a name.
    #[error("two nodes are named `{0}`")]
    DuplicateName(String),
    /// A gate reads a node that does not exist (yet).
    #[error("gate `{gate}` reads `{input}`, which is not an input or an earlier gate")]
    UnknownNode {
        /// The gate.
        gate: String,
        /// The missing node.
        input: String,
    },
    /// The gates of a file form a cycle.
    #[error("gate `{0}` is on a cycle: a circuit must be acyclic")]
    Cycle(String),
    /// An evaluation got the wrong number of input bits.
    #[error("the circuit has {expected} inputs, but {got} bits were given")]
    InputCount {
        /// Inputs of the circuit.
        expected: usize,
        /// Bits given.
        got: usize,
    },
}

/// Size statistics of a circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CircuitStats {
    /// Input bits (the prompt length).
    pub inputs: usize,
    /// Gates (the number of CoT tokens: the length complexity).
    pub gates: usize,
    /// Wires (nonzero weights).
    pub edges: usize,
    /// Longest path from an input to a gate, in gates.
    pub depth: usize,
    /// Largest number of wires into one gate.
    pub max_fan_in: usize,
    /// Largest |weight|.
    pub max_abs_weight: i64,
    /// Largest |threshold|.
    pub max_abs_threshold: i64,
}

/// A linear-threshold circuit: input bits and gates `1[Σ w·x ≥ θ]`, gates in topological order.
#[derive(Clone, Debug, Default)]
pub struct ThresholdCircuit {
    name: String,
    /// Edge `u → v` with weight `w`: gate `v` adds `w·value(u)`.
    graph: DiGraph<Node, i32, u32>,
    inputs: Vec<NodeId>,
    /// In topological order (every gate reads only inputs and earlier gates).
    gates: Vec<NodeId>,
    outputs: Vec<NodeId>,
    by_name: HashMap<String, NodeId>,
}

impl ThresholdCircuit {
    /// An empty circuit.
    pub fn new(name: impl Into<String>) -> ThresholdCircuit {
        ThresholdCircuit {
            name: name.into(),
            ..ThresholdCircuit::default()
        }
    }

    /// The circuit's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn add_node(&mut self, name: String, kind: NodeKind) -> Result<NodeId, CircuitError> {
        if self.by_name.contains_key(&name) {
            return Err(CircuitError::DuplicateName(name));
        }
        let id = NodeId(
            self.graph
                .add_node(Node {
                    name: name.clone(),
                    kind,
                })
                .index() as u32,
        );
        self.by_name.insert(name, id);
        Ok(id)
    }

    /// Adds an input bit; its prompt position is the number of inputs before it.
    pub fn add_input(&mut self, name: impl Into<String>) -> Result<NodeId, CircuitError> {
        let index = self.inputs.len() as u32;
        let id = self.add_node(name.into(), NodeKind::Input { index })?;
        self.inputs.push(id);
        Ok(id)
    }

    /// Adds the gate `1[Σ w·x ≥ threshold]` over existing nodes. Repeated inputs have their
    /// weights summed; zero weights are dropped.
    pub fn add_gate(
        &mut self,
        name: impl Into<String>,
        inputs: &[(NodeId, i32)],
        threshold: i32,
    ) -> Result<NodeId, CircuitError> {
        let name = name.into();
        if let Some(&(u, _)) = inputs
            .iter()
            .find(|(u, _)| u.0 as usize >= self.graph.node_count())
        {
            return Err(CircuitError::UnknownNode {
                gate: name,
                input: format!("node {}", u.0),
            });
        }
        let mut sorted = inputs.to_vec();
        sorted.sort_by_key(|&(u, _)| u);
        let mut merged: Vec<(NodeId, i32)> = Vec::with_capacity(sorted.len());
        for (u, w) in sorted {
            match merged.last_mut() {
                Some(last) if last.0 == u => last.1 = last.1.saturating_add(w),
                _ => merged.push((u, w)),
            }
        }
        let index = self.gates.len() as u32;
        let id = self.add_node(name, NodeKind::Gate { index, threshold })?;
        for (u, w) in merged.into_iter().filter(|&(_, w)| w != 0) {
            self.graph.add_edge(u.ix(), id.ix(), w);
        }
        self.gates.push(id);
        Ok(id)
    }

    /// Marks a node as an output (reported answers; every gate is a CoT token either way).
    pub fn add_output(&mut self, id: NodeId) {
        self.outputs.push(id);
    }

    /// The input bits, in prompt order.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// The gates, in topological (= chain-of-thought) order.
    pub fn gates(&self) -> &[NodeId] {
        &self.gates
    }

    /// The marked outputs.
    pub fn outputs(&self) -> &[NodeId] {
        &self.outputs
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id.ix()]
    }

    /// Looks a node up by name.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// The threshold of a gate (`None` for an input).
    pub fn threshold(&self, id: NodeId) -> Option<i32> {
        match self.node(id).kind {
            NodeKind::Gate { threshold, .. } => Some(threshold),
            NodeKind::Input { .. } => None,
        }
    }

    /// The weighted inputs of a gate, sorted by node.
    pub fn gate_inputs(&self, id: NodeId) -> Vec<(NodeId, i32)> {
        let mut v: Vec<(NodeId, i32)> = self
            .graph
            .edges_directed(id.ix(), Direction::Incoming)
            .map(|e| {
                use petgraph::visit::EdgeRef;
                (NodeId(e.source().index() as u32), *e.weight())
            })
            .collect();
        v.sort_unstable();
        v
    }

    /// The trace position of a node: input `i` is token `i`, gate `g` is token `n + g`.
    pub fn position(&self, id: NodeId) -> u64 {
        match self.node(id).kind {
            NodeKind::Input { index } => index as u64,
            NodeKind::Gate { index, .. } => self.inputs.len() as u64 + index as u64,
        }
    }

    /// Values of every node (indexed by `NodeId`) for the given input bits.
    pub fn evaluate_nodes(&self, inputs: &[bool]) -> Result<Vec<bool>, CircuitError> {
        if inputs.len() != self.inputs.len() {
            return Err(CircuitError::InputCount {
                expected: self.inputs.len(),
                got: inputs.len(),
            });
        }
        let mut value = vec![false; self.graph.node_count()];
        for (&id, &b) in self.inputs.iter().zip(inputs) {
            value[id.0 as usize] = b;
        }
        for &g in &self.gates {
            let mut sum = 0i64;
            for e in self.graph.edges_directed(g.ix(), Direction::Incoming) {
                use petgraph::visit::EdgeRef;
                if value[e.source().index()] {
                    sum += *e.weight() as i64;
                }
            }
            value[g.0 as usize] = sum >= self.threshold(g).unwrap_or(0) as i64;
        }
        Ok(value)
    }

    /// The gate values, in chain-of-thought order: the tokens a predictor must generate.
    pub fn evaluate(&self, inputs: &[bool]) -> Result<Vec<bool>, CircuitError> {
        let value = self.evaluate_nodes(inputs)?;
        Ok(self.gates.iter().map(|g| value[g.0 as usize]).collect())
    }

    /// A topological order of the gates computed from the graph alone (petgraph's `toposort`),
    /// for checking that the stored order is one.
    pub fn topological_order(&self) -> Result<Vec<NodeId>, CircuitError> {
        petgraph::algo::toposort(&self.graph, None)
            .map(|order| {
                order
                    .into_iter()
                    .map(|ix| NodeId(ix.index() as u32))
                    .filter(|&id| matches!(self.node(id).kind, NodeKind::Gate { .. }))
                    .collect()
            })
            .map_err(|c| CircuitError::Cycle(self.graph[c.node_id()].name.clone()))
    }

    /// Whether every gate reads only inputs and earlier gates (always true when built through
    /// [`add_gate`](Self::add_gate) or [`file`](crate::circuit::file)(mod@file)).
    pub fn is_topologically_ordered(&self) -> bool {
        self.gates.iter().all(|&g| {
            self.gate_inputs(g)
                .iter()
                .all(|&(u, _)| self.position(u) < self.position(g))
        })
    }

    /// Size statistics.
    pub fn stats(&self) -> CircuitStats {
        let mut depth = vec![0usize; self.graph.node_count()];
        let mut stats = CircuitStats {
            inputs: self.inputs.len(),
            gates: self.gates.len(),
            edges: self.graph.edge_count(),
            depth: 0,
            max_fan_in: 0,
            max_abs_weight: 0,
            max_abs_threshold: 0,
        };
        for &g in &self.gates {
            let ins = self.gate_inputs(g);
            let d = 1 + ins
                .iter()
                .map(|&(u, _)| depth[u.0 as usize])
                .max()
                .unwrap_or(0);
            depth[g.0 as usize] = d;
            stats.depth = stats.depth.max(d);
            stats.max_fan_in = stats.max_fan_in.max(ins.len());
            for (_, w) in ins {
                stats.max_abs_weight = stats.max_abs_weight.max((w as i64).abs());
            }
            stats.max_abs_threshold = stats
                .max_abs_threshold
                .max((self.threshold(g).unwrap_or(0) as i64).abs());
        }
        stats
    }
}
