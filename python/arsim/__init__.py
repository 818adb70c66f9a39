"""arsim from Python: Turing machines compiled to linear auto-regressive next-token
predictors (Malach, ICML 2024), emulated token by token and verified.

The package is a shell around the Rust library (``arsim._arsim``): every rule, check and error
message is the library's, so the command line and Python cannot drift apart. Python only
converts: token ids and weights become numpy arrays, reports become dicts with the keys of
``arsim ... --json``.

>>> import arsim
>>> bb2 = arsim.load("1RB1LB_1LA1RZ")
>>> bb2.run()["steps"]
6
>>> p = arsim.compile(bb2)
>>> p.emulate()["agree"]
True
>>> p.certify()["certified"]
True

Errors are :class:`Error`; bad input (a machine, input, file or option arsim cannot take) is
:class:`BadInput`, a check that did not pass is :class:`VerificationFailed`:

>>> try:
...     arsim.load("machines/no-such-file.ron")
... except arsim.BadInput as e:
...     print("BadInput")
BadInput
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _arsim
from ._arsim import BadInput, Error, VerificationFailed

__version__: str = _arsim.__version__

__all__ = [
    "__version__",
    "Error",
    "BadInput",
    "VerificationFailed",
    "Machine",
    "Predictor",
    "Trace",
    "load",
    "compile",
    "load_weights",
    "learn",
    "checkpoint_logits",
    "tasks",
]

PathLike = Union[str, "_os.PathLike[str]"]


def _ids(raw: bytes, dtype=_np.int32) -> _np.ndarray:
    """Little-endian u32 bytes from Rust as a numpy array (ids fit in int32)."""
    return _np.frombuffer(raw, dtype="<u4").astype(dtype)


def _token_rows(ids, what: str, batched: bool = True) -> Tuple[List[List[int]], bool]:
    """Token ids as rows of Python ints for the library, which checks each id: ``ids`` is one
    sequence ``[L]`` or, when ``batched``, a batch ``[B, L]``. Returns the rows and whether a
    batch was given; anything else is :class:`BadInput`, naming ``what``."""
    a = _np.asarray(ids)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(_np.int64)
    if a.dtype.kind not in "iub":
        raise BadInput(f"{what} must be integer token ids; got an array of dtype {a.dtype}")
    if a.ndim == 1:
        return [a.astype(_np.int64).tolist()], False
    if a.ndim == 2 and batched:
        return a.astype(_np.int64).tolist(), True
    shapes = "[L] (one sequence) or [B, L] (a batch)" if batched else "[L] (one sequence)"
    raise BadInput(f"{what} must be {shapes}; got shape {a.shape}")


def _readonly(a: _np.ndarray) -> _np.ndarray:
    a.flags.writeable = False
    return a


class Trace:
    """A run as a token trace: ``ids`` (numpy ``int32``), ``labels`` (the dictionary, by id),
    and ``info`` (encoding, window, prompt length, steps).

    >>> import arsim
    >>> t = arsim.load("1RB1LB_1LA1RZ").trace()
    >>> t.ids.dtype, len(t.ids) == (t.info["steps"] + 1) * (t.info["tape_cells"] + 1)
    (dtype('int32'), True)
    >>> t.tokens()[:5]
    ['SEP', '⟨0⟩', '⟨0⟩', '⟨A,0⟩', '⟨0⟩']
    >>> t.info["end"]
    'halted'
    """

    def __init__(self, ids: _np.ndarray, labels: List[str], info: dict):
        self.ids = _readonly(ids)
        self.labels = labels
        self.info = info
        # The viewer page of this run, set by :meth:`Machine.trace` (which holds the machine).
        self._viewer: Optional[Callable[[], str]] = None

    def tokens(self) -> List[str]:
        """The trace as token names."""
        return [self.labels[i] for i in self.ids]

    @property
    def prompt(self) -> _np.ndarray:
        """The prompt: the first row (``S + 1`` tokens for ``cells``)."""
        return self.ids[: self.info["prompt_tokens"]]

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Trace({self.info['machine']}, {self.info['encoding']}, {len(self.ids)} tokens)"

    def _repr_html_(self) -> Optional[str]:
        """The viewer page (``arsim serve``'s) with this run embedded, as a notebook shows it;
        ``None`` (the text repr) for a trace made without a machine, or past the viewer's limits."""
        viewer = self._viewer
        if viewer is None:
            return None
        try:
            return viewer()
        except Error:
            return None


class Machine:
    """A validated Turing machine; make one with :func:`load`.

    >>> import arsim, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "increment.tm")   # Morphett's format
    >>> _ = open(path, "w").write(
    ...     "0 0 0 r 0\\n0 1 1 r 0\\n0 _ _ l carry\\n"
    ...     "carry 1 0 l carry\\ncarry 0 1 * halt\\ncarry _ 1 * halt\\n")
    >>> m = arsim.load(path)
    >>> m.name, m.blank
    ('increment', '_')
    >>> m.run("1011")["tape"]
    '1100'
    """

    def __init__(self, inner: "_arsim.Machine"):
        self._inner = inner
        self._info = _json.loads(inner.describe())

    @property
    def name(self) -> str:
        """The machine's name."""
        return self._inner.name

    @property
    def symbols(self) -> List[str]:
        """The tape alphabet, in the machine's order."""
        return list(self._info["symbols"])

    @property
    def blank(self) -> str:
        """The blank symbol."""
        return self._info["blank"]

    @property
    def states(self) -> List[str]:
        """The state names."""
        return list(self._info["states"])

    @property
    def input(self) -> str:
        """The input its file gives (turingmachine.io's ``input:``, Morphett's
        ``$INITIAL_TAPE``, a ``.ron`` file's ``input``; else empty): what every method runs when
        no ``input`` is passed, as the command line does without ``--input``.

        >>> import arsim, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "walk.yaml")
        >>> _ = open(path, "w").write("input: '0110'\\nblank: ' '\\nstart state: walk\\ntable:\\n  walk:\\n    [0,1]: R\\n    ' ': {R: done}\\n  done:\\n")
        >>> arsim.load(path).input
        '0110'
        """
        return self._info["input"]

    @property
    def examples(self) -> List[dict]:
        """The example runs its file lists (input, steps, stop, max_steps)."""
        return [dict(e) for e in self._info["examples"]]

    @property
    def start(self) -> str:
        """The start state."""
        return self._info["start"]

    def run(self, input: Optional[str] = None, max_steps: int = 1_000_000_000) -> dict:
        """Runs the reference interpreter; the summary of ``arsim run --json``. Without
        ``input``, the machine's own input (:attr:`input`), as ``arsim run FILE``.

        For a machine without a ``*`` symbol, a ``*`` in ``input`` marks the cell the head
        starts on, as in Morphett's simulator (``head_start`` in the summary); every other
        method that takes an input reads it the same way.

        >>> import arsim
        >>> arsim.load("1RB1LB_1LA0LC_1RZ1LD_1RD0RA").run()["steps"]
        107
        """
        return _json.loads(self._inner.run(input, max_steps))

    def trace(
        self,
        input: Optional[str] = None,
        encoding: str = "cells",
        tape: Optional[int] = None,
        origin: Optional[int] = None,
        max_steps: int = 10_000_000,
    ) -> Trace:
        """The interpreter's run as the token trace of ``encoding`` (cells, sweep, gates) on the
        window ``tape``/``origin`` (default: the cells the run visits). A trace is collected
        whole, so it is bounded: one longer than ``2**26`` tokens, or a window beyond arsim's
        limits, is :class:`BadInput` (stream long runs with :meth:`Predictor.emulate`).

        >>> import arsim
        >>> t = arsim.load("1RB1LB_1LA0LC_1RZ1LD_1RD0RA").trace()
        >>> t.info["steps"], t.info["tape_cells"]
        (107, 14)
        """
        raw, labels, info = self._inner.trace(input, encoding, tape, origin, max_steps)
        info = _json.loads(info)
        info.pop("labels", None)
        t = Trace(_ids(raw), labels, info)
        t._viewer = lambda: self._inner.viewer_html(input, encoding, tape, origin, min(max_steps, 1_000_000))
        return t

    def __repr__(self) -> str:
        return f"Machine({self.name!r})"


class Predictor:
    """A time-invariant linear next-token predictor: ``next = argmax_d sum_j W_j[d, x[p - j]]``.

    ``weights`` maps each offset ``j`` to its ``[vocab, vocab]`` numpy matrix (row = output
    token, column = input token); positions before the trace read as a zero column. The
    matrices are read-only: edit a copy and pass it to :meth:`with_weights`, which returns a
    new predictor (checked as a weight file is).

    >>> import arsim
    >>> p = arsim.compile(arsim.load("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"))
    >>> sorted(p.weights) == sorted(p.offsets) and p.weights[p.offsets[0]].dtype.name
    'int32'
    >>> p.dictionary[:4]
    ['SEP', '⟨0⟩', '⟨1⟩', '⟨A,0⟩']
    >>> r = p.emulate()
    >>> r["agree"], r["generated_tokens"]
    (True, 1605)
    """

    def __init__(self, inner: "_arsim.Predictor", machine: Optional[Machine] = None):
        self._inner = inner
        self._machine = machine
        self._weights: Optional[Dict[int, _np.ndarray]] = None

    @property
    def weights(self) -> Dict[int, _np.ndarray]:
        """One read-only ``[vocab, vocab]`` matrix per offset (``int32``; ``float32`` when
        learned by softmax regression; ``float64`` from a float64 file), keyed by offset.

        >>> import arsim
        >>> p = arsim.compile(arsim.load("1RB1LB_1LA1RZ"))
        >>> p.weights[p.offsets[0]].flags.writeable
        False
        """
        if self._weights is None:
            dtype, mats = self._inner.matrices()
            v = len(self.dictionary)
            np_dtype = _np.dtype({"int32": "<i4", "float32": "<f4", "float64": "<f8"}[dtype])
            self._weights = {
                o: _readonly(_np.frombuffer(m, dtype=np_dtype).reshape(v, v).astype(np_dtype.newbyteorder("=")))
                for o, m in zip(self.offsets, mats)
            }
        return dict(self._weights)

    @property
    def dtype(self) -> _np.dtype:
        """``int32`` (compiled, perceptron), ``float32`` (softmax regression) or ``float64``."""
        return next(iter(self.weights.values())).dtype

    @property
    def dictionary(self) -> List[str]:
        """Token names, by id."""
        return self._inner.dictionary

    @property
    def offsets(self) -> List[int]:
        """The offsets read, in the order of the weight matrices."""
        return self._inner.offsets

    @property
    def offset_names(self) -> List[str]:
        """How each offset is written in labels (e.g. ``S+1``)."""
        return self._inner.offset_names

    @property
    def meta(self) -> Dict[str, str]:
        """The metadata a weight file records (machine, encoding, window_size, origin, ...)."""
        return self._inner.meta

    @property
    def encoding(self) -> str:
        """The encoding (cells or sweep)."""
        return self._inner.encoding

    @property
    def window(self) -> Optional[Tuple[int, int]]:
        """(window size S, origin) when known."""
        return self._inner.window

    def _m(self, machine: Optional[Machine]):
        m = machine if machine is not None else self._machine
        return m._inner if m is not None else None

    def emulate(
        self,
        input: Optional[str] = None,
        machine: Optional[Machine] = None,
        max_steps: int = 10_000_000,
        tape: Optional[int] = None,
        origin: Optional[int] = None,
        check: bool = False,
        isa: str = "auto",
    ) -> dict:
        """Runs the predictor from the prompt of ``input`` and checks every token against the
        interpreter: the report of ``arsim emulate --json`` (``agree``, ``first_divergence``
        with step, cell, expected and got tokens, context and top scores, ...), on the executor
        the command line picks. Without ``input``, the machine's own input. The window is
        ``tape``/``origin``, else the predictor's. ``isa`` is ``emulate --isa``: the row
        executor's compiled path (``auto``, ``avx512``, ``avx2`` or ``portable``; one the CPU
        lacks raises :class:`BadInput`), reported as ``row_scorer``. With ``check=True`` a
        failure raises as the command line fails: a divergence :class:`VerificationFailed`, a
        run that left the window :class:`BadInput`. Ctrl-C interrupts it.

        >>> import arsim
        >>> bb2 = arsim.load("1RB1LB_1LA1RZ")
        >>> arsim.compile(bb2, input="11").emulate("11")["stop"]
        'halted'
        """
        return _json.loads(self._inner.emulate(input, self._m(machine), max_steps, tape, origin, check, isa))

    def _repr_html_(self) -> Optional[str]:
        """The viewer page running these weights on the machine's own input, as a notebook
        shows it; ``None`` (the text repr) without a machine, or past the viewer's limits."""
        if self._machine is None:
            return None
        try:
            return self._inner.viewer_html(self._m(None), None, 10_000)
        except Error:
            return None

    def certify(self, machine: Optional[Machine] = None, check: bool = False, input: Optional[str] = None) -> dict:
        """Checks the weights on every local context a valid trace can contain (``arsim
        certify --json``; ``gates`` weights gate by gate, the circuit sized by ``input``). With
        ``check=True`` a failed certificate raises :class:`VerificationFailed`.

        >>> import arsim
        >>> arsim.compile(arsim.load("1RB1RZ_1LB0RC_1LC1LA")).certify()["min_margin"] > 0
        True
        """
        report = _json.loads(self._inner.certify(self._m(machine), input))
        if check and not report["certified"]:
            raise VerificationFailed(f"{report['failed']} contexts fail: {report['failures']}")
        return report

    def save(self, path: PathLike) -> None:
        """Writes the weights and labels as safetensors (whole, or not at all): for a compiled
        predictor, the very bytes ``arsim compile --out`` writes. Read it back with
        :func:`load_weights`.

        >>> import arsim
        >>> import tempfile, os
        >>> p = arsim.compile(arsim.load("1RB1LB_1LA1RZ"))
        >>> f = os.path.join(tempfile.mkdtemp(), "bb2.safetensors")
        >>> p.save(f)
        >>> q = arsim.load_weights(f)
        >>> all((q.weights[o] == p.weights[o]).all() for o in p.offsets)
        True
        """
        self._inner.save(_os.fspath(path))

    def with_weights(self, weights: Dict[int, _np.ndarray]) -> "Predictor":
        """A new predictor with some offsets' matrices replaced (keyed by offset), checked as a
        weight file is (integers within ``int32`` and every score within the accumulator). The
        result holds integers when every matrix does, else ``float64`` if any matrix is
        ``float64``, else ``float32``; this predictor is unchanged.

        >>> import arsim
        >>> p = arsim.compile(arsim.load("1RB1LB_1LA1RZ"))
        >>> q = p.with_weights({p.offsets[0]: _np.zeros_like(p.weights[p.offsets[0]])})
        >>> q.emulate()["agree"], p.emulate()["agree"]
        (False, True)
        """
        v = len(self.dictionary)
        mats = dict(self.weights)
        for o, w in weights.items():
            if o not in mats:
                raise BadInput(f"offset {o} is not one of the predictor's offsets {self.offsets}")
            w = _np.asarray(w)
            if w.shape != (v, v):
                raise BadInput(f"the matrix of offset {o} has shape {w.shape}; the dictionary has {v} tokens, so it must be ({v}, {v})")
            if w.dtype.kind not in "iubf":
                raise BadInput(f"the matrix of offset {o} has dtype {w.dtype}; weights are integers or floats")
            mats[o] = w
        kinds = {m.dtype.kind for m in mats.values()}
        if "f" not in kinds:
            dtype, np_dtype = "int64", "<i8"
        elif any(m.dtype == _np.float64 for m in mats.values()):
            dtype, np_dtype = "float64", "<f8"
        else:
            dtype, np_dtype = "float32", "<f4"
        raw = [_np.ascontiguousarray(mats[o], dtype=np_dtype).tobytes() for o in self.offsets]
        return Predictor(self._inner.with_matrices(dtype, raw), self._machine)

    def generate(self, prompt, n: int) -> _np.ndarray:
        """Feeds ``prompt`` (token ids ``[L]``) to arsim's executor and generates ``n`` tokens
        greedily: ``[n]``. A batch of prompts ``[B, L]`` gives ``[B, n]``. Ctrl-C interrupts it.

        >>> import arsim
        >>> bb2 = arsim.load("1RB1LB_1LA1RZ")
        >>> t = bb2.trace()
        >>> p = arsim.compile(bb2)
        >>> out = p.generate(t.prompt, len(t) - len(t.prompt))
        >>> bool((out == t.ids[len(t.prompt):]).all())
        True
        >>> p.generate([t.prompt, t.prompt], 3).shape
        (2, 3)
        """
        rows, batched = _token_rows(prompt, "prompt")
        out = [_ids(r) for r in self._inner.generate(rows, int(n))]
        if batched:
            return _np.stack(out) if out else _np.zeros((0, int(n)), dtype=_np.int32)
        return out[0]

    def prompt(self, input: Optional[str] = None, machine: Optional[Machine] = None) -> _np.ndarray:
        """The prompt of ``input`` on this predictor's window (the first row of its trace)."""
        m = machine if machine is not None else self._machine
        if m is None:
            raise BadInput("pass machine=arsim.load(...): these weights were read from a file")
        if self.window is None:
            raise BadInput("this predictor has no window (its file names none): pass tape= and origin= to emulate instead")
        size, origin = self.window
        return m.trace(input, self.encoding, tape=size, origin=origin, max_steps=0).prompt

    def __repr__(self) -> str:
        return (
            f"Predictor({self.meta.get('machine', '?')}, {self.encoding}, "
            f"{len(self.dictionary)} tokens, offsets {self.offsets})"
        )


def load(
    machine: PathLike,
    format: Optional[str] = None,
    lenient: bool = False,
    undefined: Optional[str] = None,
    start: Optional[str] = None,
) -> Machine:
    """Loads a machine: a file (``.ron``, ``.tm``, ``.yaml``, ``.seed[#N]``) or a bbchallenge
    standard-format string; ``format`` forces one (ron, standard, seed, morphett, yaml). As the
    command line's flags of the same names: ``lenient`` (Morphett files), ``undefined`` (what an
    undefined transition means: halt, no-rule, …), ``start`` (the start state).

    >>> import arsim
    >>> arsim.load("1RB1LB_1LA1RZ").states
    ['A', 'B', 'Z']
    """
    return Machine(_arsim.load(_os.fspath(machine), format, lenient, undefined, start))


def compile(
    machine: Machine,
    encoding: str = "cells",
    tape: Optional[int] = None,
    origin: Optional[int] = None,
    input: Optional[str] = None,
) -> Predictor:
    """Compiles ``machine`` to a linear predictor (``arsim compile``). Without ``tape`` the
    window is the cells the run on ``input`` (default: the machine's own) visits.

    >>> import arsim
    >>> p = arsim.compile(arsim.load("1RB1RZ_1LB0RC_1LC1LA"), tape=20, origin=10)
    >>> p.window, p.offset_names
    ((20, 10), ['S', 'S+1', 'S+2'])
    """
    if not isinstance(machine, Machine):
        what = f"{type(machine).__name__} {machine!r}"[:200]
        hint = f" (load it first: arsim.compile(arsim.load({_os.fspath(machine)!r})))" if isinstance(machine, (str, _os.PathLike)) else ""
        raise BadInput(f"compile takes a Machine, as arsim.load returns; got {what}{hint}")
    return Predictor(machine._inner.compile(encoding, tape, origin, input), machine)


def load_weights(path: PathLike) -> Predictor:
    """Reads a weight file written by ``arsim compile --out``, ``arsim learn --out`` or
    :meth:`Predictor.save`: tensors of any integer or float dtype with their labels (an integer
    file whose scores could overflow is refused, not wrapped; a file that is not safetensors,
    e.g. a PyTorch ``.pt``, is :class:`BadInput` saying so). Pass the machine to
    ``emulate``/``certify`` (the file names it but does not hold it)."""
    return Predictor(_arsim.load_weights(_os.fspath(path)))


def learn(
    machine: Machine,
    encoding: Optional[str] = None,
    train: Optional[int] = None,
    test: Optional[int] = None,
    seed: Optional[int] = None,
    algo: Optional[str] = None,
    window: Optional[str] = None,
    outputs: Optional[str] = None,
    learner: Optional[str] = None,
    pattern: Optional[str] = None,
    alphabet: Optional[str] = None,
    lengths: Optional[Sequence[int]] = None,
    inputs: Optional[Sequence[str]] = None,
    max_steps: Optional[int] = None,
    max_passes: Optional[int] = None,
    margin: Optional[int] = None,
    epochs: Optional[int] = None,
    eval_lengths: Optional[Sequence[int]] = None,
) -> Tuple[dict, Optional[Predictor]]:
    """Learns a predictor from traces and compares it with the compiled one, as ``arsim
    learn`` (same options, same defaults, the same input distribution): the report of ``arsim
    learn --json`` and the learned predictor (``None`` for the time-dependent learner).
    ``inputs`` is a list of words. Ctrl-C interrupts it.

    >>> import arsim, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "increment.tm")   # binary increment, Morphett's format
    >>> _ = open(path, "w").write(
    ...     "0 0 0 r 0\\n0 1 1 r 0\\n0 _ _ l carry\\n"
    ...     "carry 1 0 l carry\\ncarry 0 1 * halt\\ncarry _ 1 * halt\\n")
    >>> report, p = arsim.learn(arsim.load(path), train=20, test=20)
    >>> report["test"]["trace_errors"], p.dtype.name
    (0, 'int32')
    """
    report, p = machine._inner.learn(
        encoding,
        train,
        test,
        seed,
        algo,
        window,
        outputs,
        learner,
        pattern,
        alphabet,
        None if lengths is None else [int(n) for n in lengths],
        None if eval_lengths is None else [int(n) for n in eval_lengths],
        None if inputs is None else list(inputs),
        max_steps,
        max_passes,
        margin,
        epochs,
    )
    return _json.loads(report), (Predictor(p, machine) if p is not None else None)


def checkpoint_logits(path: PathLike, tokens) -> _np.ndarray:
    """arsim's own logits ``[B, L, V]`` (``float32``) for tokens ``[B, L]`` (``L`` at most the
    model's context), computed by the library's model from a training checkpoint of ``arsim
    task multiply|text --checkpoint``; for comparing with :func:`arsim.torch.load_checkpoint`."""
    tokens = _np.asarray(tokens)
    if tokens.ndim != 2:
        raise BadInput(f"tokens must be [batch, len], got shape {tokens.shape}")
    rows, _ = _token_rows(tokens, "tokens")
    b = tokens.shape[0]
    flat = [t for r in rows for t in r]
    raw, v = _arsim.checkpoint_logits(_os.fspath(path), flat, b)
    return _np.frombuffer(raw, dtype="<f4").reshape(b, tokens.shape[1], v)


from . import tasks  # noqa: E402  (after the core names it uses)
