"""benchmarks/harness_sweep.py: the classification of results, the Node-crash bisection, a 2-group run."""

from __future__ import annotations

import importlib.util
import json
import pickle
import sys

import numpy as np
import pytest

from builders.build import PROJECT_ROOT
from builders.convert.errors import ConversionError, SignatureError, UnsupportedPrimitiveError
from builders.convert.tfjs_runtime import TfjsResult


def _load_sweep():
    spec = importlib.util.spec_from_file_location("harness_sweep", PROJECT_ROOT / "benchmarks" / "harness_sweep.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


sweep = _load_sweep()
F32 = np.float32


def verdict(expected, actual, **kw):
    return sweep.compare([np.asarray(e) for e in expected], [np.asarray(a) for a in actual], **kw)


def test_close_float_results_match_and_a_wrong_value_is_wrong():
    x = np.linspace(-3, 3, 12, dtype=F32)
    assert verdict([x], [x + F32(1e-6)]).status == "match"
    wrong = x.copy()
    wrong[5] += 0.01
    v = verdict([x], [wrong])
    assert v.status == "wrong"
    assert v.reason.startswith("output 0: 1 of 12 values off by up to 0.01 (tolerance 1e-05 rel")
    assert "first at (5,)" in v.reason


def test_dtype_shape_count_and_nonfinite_placement_are_part_of_the_result():
    b = np.array([True, False])
    assert verdict([b], [b.astype(np.int32)]).reason == "output 0: dtype int32, JAX bool"
    assert verdict([np.zeros((2, 3), F32)], [np.zeros((3, 2), F32)]).reason == "output 0: shape (3, 2), JAX (2, 3)"
    assert verdict([b, b], [b]).reason == "1 outputs, JAX has 2"
    nan = np.array([1.0, np.nan, 2.0], F32)
    assert verdict([nan], [nan]).status == "match"
    v = verdict([nan], [np.array([1.0, 2.0, np.nan], F32)])
    assert v.status == "wrong" and "1 NaN of JAX's not reproduced (first at (1,))" in v.reason
    inf = np.array([np.inf, 1.0], F32)
    assert verdict([inf], [-inf * -1]).status == "match"
    assert "-Inf where JAX has none" in verdict([inf], [np.array([-np.inf, 1.0], F32)]).reason
    ints = np.arange(6, dtype=np.int32)
    assert verdict([ints], [ints + np.array([0, 0, 0, 1, 0, 0], np.int32)]).reason == \
        "output 0: 1 of 6 values differ (first at (3,): JAX 3, got 4)"
    # TF.js holds float16 as float32; ONNX must return float16 itself.
    h = np.ones(3, np.float16)
    assert verdict([h], [h.astype(F32)]).status == "match"
    assert verdict([h], [h.astype(F32)], holder=sweep.exact_holder).reason == "output 0: dtype float32, JAX float16"


def test_non_unique_results_are_checked_by_their_properties():
    a = np.array([[2.0, 1.0], [1.0, 3.0]], F32)
    q, r = np.linalg.qr(a)
    flipped = (q * np.array([-1, 1], F32), r * np.array([[-1], [1]], F32))  # an equally valid QR
    assert verdict([q, r], flipped, group="qr", args=[a]).status == "match"
    assert verdict([q, r], [q, r + F32(0.1)], group="qr", args=[a]).status == "wrong"
    w, v = np.linalg.eigh(a)
    assert verdict([v, w], [-v, w], group="eigh", args=[a], params={"lower": True}).status == "match"
    assert verdict([v, w], [v[:, ::-1], w], group="eigh", args=[a], params={"lower": True}).status == "wrong"
    lower = np.linalg.cholesky(a)
    garbage_above = lower + np.triu(np.full_like(a, 7), 1)
    assert verdict([garbage_above], [lower], group="cholesky").status == "match"


def test_conversion_errors_are_unsupported_only_when_typed_and_clear():
    unsupported = UnsupportedPrimitiveError("cholesky", ["float32[4,4]"], "f.py:3")
    assert sweep.classify_conversion_error(unsupported).status == "unsupported"
    assert sweep.classify_conversion_error(SignatureError("bad shape")).status == "unsupported"
    assert sweep.classify_conversion_error(ConversionError("a PRNG key reaches 'x'")).status == "unsupported"
    try:
        try:
            raise TypeError("np.asarray on a key")
        except TypeError as exc:
            raise ConversionError("tracing the function failed") from exc
    except ConversionError as wrapped:
        crash = sweep.classify_conversion_error(wrapped)
    assert crash.status == "crash" and crash.reason.endswith("(from TypeError)")
    assert sweep.classify_conversion_error(ValueError("boom")).reason == "ValueError: boom"


def test_a_node_crash_is_bisected_to_the_model_that_caused_it(monkeypatch):
    import builders.convert.tfjs_runtime as runtime

    calls = []

    def fake_run(jobs, backend, timeout):
        calls.append(list(jobs))
        if "bad" in jobs:
            raise runtime.NodeRuntimeError("running TF.js under Node failed (exit 134):\nout of memory")
        return [TfjsResult([np.zeros(1)], None) for _ in jobs]

    monkeypatch.setattr(runtime, "run_tfjs", fake_run)
    results = sweep.run_tfjs_robust(["a", "b", "bad", "c", "d"], "cpu", log=lambda _: None)
    assert [r.error for r in results] == [None, None, "Node failed (NodeRuntimeError): (exit 134):", None, None]
    assert len(calls) <= 7


def test_jax2onnx_results_get_the_same_comparison(tmp_path):
    from jax._src.internal_test_util import test_harnesses

    index, harness = next((i, h) for i, h in enumerate(test_harnesses.all_harnesses) if h.group_name == "abs")
    args = sweep.make_args(harness)
    case = sweep.Case(index, harness, args, sweep.jax_reference(harness, args))
    out = tmp_path / "out.pkl"
    out.write_bytes(pickle.dumps([case.expected[0] + F32(1)]))  # deliberately wrong
    reply = {"status": "ran", "outputs": str(out), "digest": sweep.args_digest(args)}
    assert sweep.onnx_verdict(case, reply).status == "wrong"
    out.write_bytes(pickle.dumps(case.expected))
    assert sweep.onnx_verdict(case, reply).status == "match"
    assert sweep.onnx_verdict(case, {**reply, "digest": "0"}).status == "crash"
    assert sweep.onnx_verdict(case, {"status": "unsupported", "reason": "NotImplementedError: x"}).status == \
        "unsupported"


def test_two_groups_one_per_group_end_to_end_with_a_corrupted_tfjs_output(tmp_path, monkeypatch, capsys):
    import builders.convert.tfjs_runtime as runtime

    real_run = runtime.run_tfjs
    cpu_runs = []

    def corrupt_abs(jobs, backend, timeout):
        results = real_run(jobs, backend=backend, timeout=timeout)
        if backend == "cpu":
            cpu_runs.append(jobs)
            if len(cpu_runs) == 1:  # the abs group's: make its output silently wrong
                results[0].outputs[0] = results[0].outputs[0] + F32(0.5)
        return results

    monkeypatch.setattr(runtime, "run_tfjs", corrupt_abs)
    report, failures, page = tmp_path / "sweep.json", tmp_path / "failures.txt", tmp_path / "sweep.md"
    code = sweep.main(["--groups", "abs,max", "--per-group", "1", "--no-onnx", "--json", str(report),
                       "--failures", str(failures), "--markdown", str(page)])
    assert code == 0
    data = json.loads(report.read_text())
    assert [(c["group"], c["name"]) for c in data["cases"]] == [
        ("abs", "shape_float32_20_20_"), ("max", "dtypes_lhs_float32_20_20_rhs_float32_20_20_")]
    assert data["totals"]["cpu"] == {"match": 1, "wrong": 1, "unsupported": 0, "crash": 0}
    assert data["totals"]["wasm"]["match"] == 2
    lines = failures.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("abs/shape_float32_20_20_ [cpu]: wrong: output 0: 400 of 400")
    printed = capsys.readouterr().out
    assert "| abs | 1 | 0/1/0/0 | 1/0/0/0 |" in printed and "2 cases in 2 groups" in printed
    assert "| **total** | **2** | **1/1/0/0** | **2/0/0/0** |" in page.read_text()


def test_an_unknown_group_is_one_line_and_exit_2(capsys):
    assert sweep.main(["--groups", "abs,no_such_group", "--no-onnx"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness_sweep: unknown group(s) no_such_group in --groups; known groups: abs, ")


def test_bad_options_fail(capsys):
    assert sweep.main(["--backends", "webgl"]) == 2
    assert capsys.readouterr().err == "harness_sweep: --backends takes cpu and/or wasm, got webgl\n"
    with pytest.raises(SystemExit):
        sweep.main(["--per-group", "0"])
