"""The ops of extra_math and extra_array: values against numpy, gradients against central finite
differences (op_check), Keras's result dtypes, edge cases, and bad arguments named in errors."""
import math
import warnings

import numpy as np
import pytest

import pykeras as keras
from pykeras import ops
from op_check import Samples, check_op

SAMPLES = Samples(7)
rng = SAMPLES.rng
normal, positive, away_from_zero, distinct = SAMPLES.normal, SAMPLES.positive, SAMPLES.away_from_zero, SAMPLES.distinct


_erf = np.vectorize(math.erf)
WITH_ZEROS = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.5, -2.0, 0.5]], np.float32)
MASK = np.array([[True, False, True], [False, False, True]])

DIFFERENTIABLE = [
    ("sin", ops.sin, np.sin, [normal(3, 4)]),
    ("cos", ops.cos, np.cos, [normal(3, 4)]),
    ("tan", ops.tan, np.tan, [rng.uniform(-1.2, 1.2, (3, 4)).astype(np.float32)]),
    ("log1p", ops.log1p, np.log1p, [rng.uniform(-0.5, 3, (3, 4)).astype(np.float32)]),
    ("expm1", ops.expm1, np.expm1, [normal(3, 4)]),
    ("log2", ops.log2, np.log2, [positive(3, 4)]),
    ("log10", ops.log10, np.log10, [positive(3, 4)]),
    ("erf", ops.erf, _erf, [np.concatenate([normal(8) * 2, [0.0, 1e-3, -0.3, 0.49, 0.51, 4.0]]).astype(np.float32)]),
    ("var_all", ops.var, np.var, [normal(3, 4)]),
    ("var_axes_keepdims", lambda x: ops.var(x, axis=(0, 2), keepdims=True),
     lambda x: x.var((0, 2), keepdims=True), [normal(2, 3, 4)]),
    ("std_negative_axis", lambda x: ops.std(x, axis=-1), lambda x: x.std(-1), [normal(3, 4)]),
    ("std_all_keepdims", lambda x: ops.std(x, keepdims=True), lambda x: x.std(keepdims=True), [normal(3, 4)]),
    ("moments_mean", lambda x: ops.moments(x, [0, 2])[0], lambda x: x.mean((0, 2)), [normal(2, 3, 4)]),
    ("moments_var", lambda x: ops.moments(x, [0, 2], keepdims=True)[1],
     lambda x: x.var((0, 2), keepdims=True), [normal(2, 3, 4)]),
    ("norm_frobenius", ops.norm, np.linalg.norm, [normal(3, 4)]),
    ("norm_vector_2", lambda x: ops.norm(x, axis=-1, keepdims=True),
     lambda x: np.linalg.norm(x, axis=-1, keepdims=True), [normal(3, 4)]),
    ("norm_vector_1", lambda x: ops.norm(x, ord=1, axis=0), lambda x: np.linalg.norm(x, 1, axis=0),
     [away_from_zero(3, 4)]),
    ("norm_vector_inf", lambda x: ops.norm(x, ord=np.inf, axis=1), lambda x: np.linalg.norm(x, np.inf, axis=1),
     [distinct(3, 4)]),
    ("norm_1d_ord2", lambda x: ops.norm(x, ord=2), lambda x: np.linalg.norm(x, 2), [normal(5)]),
    ("norm_matrix_1", lambda x: ops.norm(x, ord=1), lambda x: np.linalg.norm(x, 1), [away_from_zero(3, 4)]),
    ("norm_matrix_neg_inf", lambda x: ops.norm(x, ord=-np.inf, axis=(1, 0)),
     lambda x: np.linalg.norm(x, -np.inf, axis=(1, 0)), [away_from_zero(3, 4)]),
    ("norm_fro_3d_keepdims", lambda x: ops.norm(x, ord="fro", axis=(0, 2), keepdims=True),
     lambda x: np.linalg.norm(x, "fro", axis=(0, 2), keepdims=True), [normal(2, 3, 4)]),
    ("prod_axis", lambda x: ops.prod(x, axis=1), lambda x: x.prod(1), [positive(3, 4)]),
    ("prod_all", ops.prod, np.prod, [away_from_zero(2, 3)]),
    ("prod_with_zeros", lambda x: ops.prod(x, axis=-1, keepdims=True), lambda x: x.prod(-1, keepdims=True),
     [WITH_ZEROS]),
    ("cumsum_flat", ops.cumsum, np.cumsum, [normal(3, 4)]),
    ("cumsum_axis", lambda x: ops.cumsum(x, axis=-1), lambda x: np.cumsum(x, -1), [normal(3, 4)]),
    ("cumprod_axis", lambda x: ops.cumprod(x, axis=1), lambda x: np.cumprod(x, 1), [away_from_zero(3, 4)]),
    ("cumprod_with_zeros", lambda x: ops.cumprod(x, axis=1), lambda x: np.cumprod(x, 1), [WITH_ZEROS]),
    ("cumprod_flat_with_zeros", ops.cumprod, np.cumprod, [WITH_ZEROS]),
    ("einsum_matmul", lambda a, b: ops.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, [normal(2, 3), normal(3, 4)]),
    ("einsum_ellipsis_broadcast", lambda a, b: ops.einsum("...ij,jk->...ik", a, b),
     lambda a, b: np.einsum("...ij,jk->...ik", a, b), [normal(2, 1, 2, 3), normal(3, 4)]),
    ("einsum_broadcast_size_one", lambda a, b: ops.einsum("...i,...i->...", a, b),
     lambda a, b: np.einsum("...i,...i->...", a, b), [normal(2, 1, 3), normal(4, 3)]),
    ("einsum_diagonal", lambda x: ops.einsum("ii->i", x), lambda x: np.einsum("ii->i", x), [normal(3, 3)]),
    ("einsum_implicit_trace", lambda x: ops.einsum("ii", x), np.trace, [normal(3, 3)]),
    ("einsum_repeated_in_3d", lambda x: ops.einsum("iji->j", x), lambda x: np.einsum("iji->j", x), [normal(3, 2, 3)]),
    ("einsum_implicit_outer", lambda a, b: ops.einsum("i,j", a, b), np.outer, [normal(3), normal(2)]),
    ("einsum_summed_alone", lambda a, b: ops.einsum("ij,k->i", a, b),
     lambda a, b: a.sum(1) * b.sum(), [normal(2, 3), normal(4)]),
    ("einsum_three_operands", lambda a, b, c: ops.einsum("ij,jk,kl->il", a, b, c),
     lambda a, b, c: a @ b @ c, [normal(2, 3), normal(3, 4), normal(4, 2)]),
    ("einsum_mixed_case_implicit", lambda a, b: ops.einsum("bA,AC", a, b),
     lambda a, b: np.einsum("bA,AC", a, b), [normal(2, 3), normal(3, 4)]),
    ("tensordot_2", ops.tensordot, np.tensordot, [normal(2, 3, 4), normal(3, 4, 2)]),
    ("tensordot_pairs", lambda a, b: ops.tensordot(a, b, axes=([1, 0], [0, 2])),
     lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])), [normal(2, 3, 4), normal(3, 5, 2)]),
    ("tensordot_0", lambda a, b: ops.tensordot(a, b, axes=0), lambda a, b: np.tensordot(a, b, 0),
     [normal(2), normal(3)]),
    ("dot_vectors", ops.dot, np.dot, [normal(4), normal(4)]),
    ("dot_matrices", ops.dot, np.dot, [normal(2, 3), normal(3, 4)]),
    ("dot_nd_1d", ops.dot, np.dot, [normal(2, 3, 4), normal(4)]),
    ("dot_1d_nd", ops.dot, np.dot, [normal(3), normal(2, 3, 4)]),
    ("dot_nd_nd", ops.dot, np.dot, [normal(2, 3), normal(4, 3, 2)]),
    ("dot_scalar", ops.dot, np.dot, [np.float32(1.5), normal(2, 3)]),
    ("outer_flattens", ops.outer, np.outer, [normal(2, 2), normal(3)]),
    ("trace", ops.trace, np.trace, [normal(3, 4)]),
    ("trace_offset_axes", lambda x: ops.trace(x, 1, 1, 2), lambda x: np.trace(x, 1, 1, 2), [normal(2, 3, 4)]),
    ("trace_negative_offset", lambda x: ops.trace(x, offset=-1, axis1=-1, axis2=0),
     lambda x: np.trace(x, -1, -1, 0), [normal(4, 3)]),
    ("split_sections", lambda x: ops.concatenate([p * (i + 1.0) for i, p in enumerate(ops.split(x, 2, axis=1))], 0),
     lambda x: np.concatenate([p * (i + 1.0) for i, p in enumerate(np.split(x, 2, axis=1))], 0), [normal(3, 4)]),
    ("split_indices_negative_axis",
     lambda x: ops.concatenate([p * (i + 1.0) for i, p in enumerate(ops.split(x, [1, 3], axis=-1))], -1),
     lambda x: np.concatenate([p * (i + 1.0) for i, p in enumerate(np.split(x, [1, 3], axis=-1))], -1),
     [normal(2, 5)]),
    ("split_unordered_indices", lambda x: ops.concatenate(ops.split(x, [3, 1]), 0),
     lambda x: np.concatenate(np.split(x, [3, 1]), 0), [normal(5, 2)]),
    ("unstack", lambda x: ops.stack(ops.unstack(x, axis=-1)[::-1]), lambda x: np.moveaxis(x, -1, 0)[::-1],
     [normal(2, 3)]),
    ("tile", lambda x: ops.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), [normal(2, 3)]),
    ("tile_promotes_rank", lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), [normal(2, 3)]),
    ("tile_int", lambda x: ops.tile(x, 2), lambda x: np.tile(x, 2), [normal(2, 3)]),
    ("repeat_axis", lambda x: ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, 1), [normal(2, 3)]),
    ("repeat_per_element", lambda x: ops.repeat(x, [1, 0, 3], axis=-2), lambda x: np.repeat(x, [1, 0, 3], -2),
     [normal(3, 2)]),
    ("repeat_flat", lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), [normal(2, 3)]),
    ("take_axis_repeated", lambda x: ops.take(x, [2, 0, 2, -1], axis=1), lambda x: np.take(x, [2, 0, 2, -1], 1),
     [normal(3, 4)]),
    ("take_flat_2d_indices", lambda x: ops.take(x, np.array([[0, 5], [5, 1]])),
     lambda x: np.take(x, [[0, 5], [5, 1]]), [normal(2, 3)]),
    ("take_scalar_index", lambda x: ops.take(x, 1, axis=0), lambda x: x[1], [normal(3, 2)]),
    ("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), axis=1),
     lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), 1), [normal(3, 4)]),
    ("take_along_axis_broadcast", lambda x: ops.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), axis=-1),
     lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), -1), [normal(1, 4)]),
    ("take_along_axis_flat", lambda x: ops.take_along_axis(x, np.array([5, 0, 5])),
     lambda x: np.take_along_axis(x.ravel(), np.array([5, 0, 5]), 0), [normal(2, 3)]),
    ("pad_constant", lambda x: ops.pad(x, ((1, 2), (0, 1)), constant_values=3.0),
     lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=3.0), [normal(2, 3)]),
    ("pad_edge", lambda x: ops.pad(x, 2, mode="edge"), lambda x: np.pad(x, 2, mode="edge"), [normal(2, 3)]),
    ("pad_reflect", lambda x: ops.pad(x, ((2, 1), (1, 2)), mode="reflect"),
     lambda x: np.pad(x, ((2, 1), (1, 2)), mode="reflect"), [normal(3, 3)]),
    ("pad_symmetric", lambda x: ops.pad(x, ((1, 1),), mode="symmetric"),
     lambda x: np.pad(x, ((1, 1),), mode="symmetric"), [normal(2, 3)]),
    ("pad_wrap", lambda x: ops.pad(x, (3, 1), mode="wrap"), lambda x: np.pad(x, (3, 1), mode="wrap"), [normal(2, 3)]),
    ("tril", ops.tril, np.tril, [normal(3, 4)]),
    ("tril_batched", lambda x: ops.tril(x, -1), lambda x: np.tril(x, -1), [normal(2, 3, 3)]),
    ("triu", lambda x: ops.triu(x, 1), lambda x: np.triu(x, 1), [normal(4, 3)]),
    ("diag_build", lambda x: ops.diag(x, 1), lambda x: np.diag(x, 1), [normal(3)]),
    ("diag_extract", lambda x: ops.diag(x, -1), lambda x: np.diag(x, -1), [normal(4, 3)]),
    ("diag_extract_wide", ops.diag, np.diag, [normal(2, 4)]),
    ("sort", ops.sort, np.sort, [distinct(3, 4)]),
    ("sort_axis0", lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, 0), [distinct(3, 4)]),
    ("sort_flat", lambda x: ops.sort(x, axis=None), lambda x: np.sort(x, None), [distinct(3, 4)]),
    ("top_k_values", lambda x: ops.top_k(x, 2)[0], lambda x: -np.sort(-x, -1)[..., :2], [distinct(3, 4)]),
    ("flip_all", ops.flip, np.flip, [normal(2, 3)]),
    ("flip_axes", lambda x: ops.flip(x, (0, -1)), lambda x: np.flip(x, (0, -1)), [normal(2, 3, 2)]),
    ("roll_flat", lambda x: ops.roll(x, 2), lambda x: np.roll(x, 2), [normal(2, 3)]),
    ("roll_axes", lambda x: ops.roll(x, (1, -2), axis=(0, 1)), lambda x: np.roll(x, (1, -2), (0, 1)), [normal(2, 3)]),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), [normal(2, 3, 4)]),
    ("moveaxis", lambda x: ops.moveaxis(x, [0, 1], [-1, 0]), lambda x: np.moveaxis(x, [0, 1], [-1, 0]),
     [normal(2, 3, 4)]),
    ("meshgrid_xy", lambda a, b: ops.stack(ops.meshgrid(a, b)), lambda a, b: np.stack(np.meshgrid(a, b)),
     [normal(3), normal(2)]),
    ("meshgrid_ij", lambda a, b, c: ops.stack(ops.meshgrid(a, b, c, indexing="ij")),
     lambda a, b, c: np.stack(np.meshgrid(a, b, c, indexing="ij")), [normal(2), normal(3), normal(2)]),
    ("where_three_arguments", lambda a, b: ops.where(MASK, a, b), lambda a, b: np.where(MASK, a, b),
     [normal(2, 3), normal(1, 3)]),
]


@pytest.mark.parametrize("name,op,reference,inputs", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_forward_and_gradient(name, op, reference, inputs):
    check_op(op, inputs, reference)


def test_gradients_that_finite_differences_cannot_see():
    # At zero spread or length the subgradient is 0, not NaN.
    x = keras.Variable(np.ones((2, 3), np.float32))
    z = keras.Variable(np.zeros(3, np.float32))
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.std(x, axis=1)) + ops.norm(z)
    gx, gz = tape.gradient(loss, [x, z])
    np.testing.assert_array_equal(gx.numpy(), 0)
    np.testing.assert_array_equal(gz.numpy(), 0)
    # Tied maxima share nothing: sort moves each element's gradient with it.
    v = keras.Variable(np.array([2.0, 1.0, 3.0], np.float32))
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.sort(v) * np.array([10.0, 20.0, 30.0], np.float32))
    np.testing.assert_array_equal(tape.gradient(loss, v).numpy(), [20.0, 10.0, 30.0])


INTEGER_RESULTS = {
    "argsort": lambda x: ops.argsort(x),
    "top_k_indices": lambda x: ops.top_k(x, 2)[1],
    "count_nonzero": lambda x: ops.count_nonzero(x),
    "where_indices": lambda x: ops.where(x)[0],
    "all": lambda x: ops.all(x),
    "isinf": lambda x: ops.isinf(x),
    "ceil": lambda x: ops.ceil(x),
    "cumsum_int_dtype": lambda x: ops.cumsum(x, dtype="int32"),
    "prod_int_dtype": lambda x: ops.prod(x, dtype="int32"),
}


@pytest.mark.parametrize("name", sorted(INTEGER_RESULTS))
def test_integer_boolean_and_step_results_have_no_gradient(name):
    x = keras.Variable(np.array([1.5, -2.0, 0.5], np.float32))
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.cast(INTEGER_RESULTS[name](x), "float32"))
    assert tape.gradient(loss, x) is None


def test_integer_results_follow_keras_dtypes():
    ints = np.array([[3, 1, 2], [0, 5, 4]], np.int32)
    assert ops.argsort(ints).dtype == "int32"
    assert ops.top_k(ints, 2)[1].dtype == "int32"
    assert ops.count_nonzero(ints, axis=0).dtype == "int32"
    assert all(i.dtype == "int32" for i in ops.where(ints))
    assert ops.prod(np.array([100, 100], np.int8)).dtype == "int32"
    assert int(ops.prod(np.array([100, 100], np.int8))) == 10000
    assert ops.trace(np.eye(3, dtype=bool)).dtype == "int32"
    assert ops.cumsum(np.array([True, True, False])).dtype == "int32"
    assert ops.cumsum(ints).dtype == "int32"  # numpy would widen to int64
    int8 = np.array([100, 100], np.int8)
    assert ops.einsum("i,i->", int8, int8).dtype == "int32" and int(ops.dot(int8, int8)) == 20000
    for op in (ops.std, ops.var, ops.norm, ops.sin, ops.erf, ops.ceil):
        assert op(ints).dtype == "float32", op.__name__
    assert ops.one_hot(ints, 6).dtype == "float32"
    assert ops.eye(2).dtype == ops.identity(2).dtype == ops.tri(2).dtype == ops.linspace(0, 1, 3).dtype == "float32"
    assert ops.full_like(ints, 7).dtype == "int32"


def test_sorting_values_ties_and_indices():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, -1.0, 5.0, 5.0]], np.float32)
    values, indices = ops.top_k(x, 3)
    np.testing.assert_array_equal(values.numpy(), [[3, 3, 2], [5, 5, 0]])
    np.testing.assert_array_equal(indices.numpy(), [[0, 2, 3], [2, 3, 0]])  # ties: lowest index first
    values, indices = ops.top_k(x, 2, sorted=False)
    np.testing.assert_array_equal(values.numpy(), [[3, 3], [5, 5]])
    assert ops.top_k(x, 0)[0].shape == (2, 0)
    np.testing.assert_array_equal(ops.argsort(x).numpy(), np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(ops.argsort(x, axis=0).numpy(), np.argsort(x, 0, kind="stable"))
    np.testing.assert_array_equal(ops.argsort(x, axis=None).numpy(), np.argsort(x, None, kind="stable"))
    np.testing.assert_array_equal(ops.argsort(np.float32(2.0)).numpy(), [0])  # as Keras: 0-d sorts as 1-D
    np.testing.assert_array_equal(ops.sort(np.array([[2, 1], [0, 3]], np.int32), axis=0).numpy(), [[0, 1], [2, 3]])


def test_logical_ops_and_tests():
    a = np.array([[0, 1, 2], [3, 0, 0]], np.int32)
    b = np.array([[True, True, False], [False, False, True]])
    x = np.array([1.0, np.inf, -np.inf, np.nan], np.float32)
    for name in ("logical_and", "logical_or", "logical_xor"):
        result = getattr(ops, name)(a, b)
        assert result.dtype == "bool"
        np.testing.assert_array_equal(result.numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(ops.logical_not(a).numpy(), a == 0)
    np.testing.assert_array_equal(ops.isinf(x).numpy(), [False, True, True, False])
    np.testing.assert_array_equal(ops.all(a, axis=-1).numpy(), [False, False])
    np.testing.assert_array_equal(ops.any(a, axis=0, keepdims=True).numpy(), [[True, True, True]])
    assert bool(ops.all(np.zeros((0, 3)))) and not bool(ops.any(np.zeros((0, 3))))
    np.testing.assert_array_equal(ops.count_nonzero(a, axis=(0, 1)).numpy(), 3)
    np.testing.assert_array_equal(ops.count_nonzero(a, axis=-1).numpy(), [2, 1])
    np.testing.assert_array_equal(ops.ceil(np.array([-1.5, 0.2, 2.0], np.float32)).numpy(), [-1, 1, 2])


def test_where_with_the_condition_alone_returns_index_tensors():
    condition = np.array([[0, 2, 0], [1, 0, 3]])
    rows, cols = ops.where(condition)
    expected = np.nonzero(condition)
    np.testing.assert_array_equal(rows.numpy(), expected[0])
    np.testing.assert_array_equal(cols.numpy(), expected[1])
    (empty,) = ops.where(np.zeros(4, bool))
    assert empty.shape == (0,) and empty.dtype == "int32"
    np.testing.assert_array_equal(ops.where(ops.greater(np.arange(4.0), 1.5))[0].numpy(), [2, 3])


def test_constructors_and_one_hot():
    np.testing.assert_array_equal(ops.eye(2, 3, k=1).numpy(), np.eye(2, 3, 1))
    np.testing.assert_array_equal(ops.identity(3, dtype="int32").numpy(), np.identity(3, int))
    np.testing.assert_array_equal(ops.tri(3, 4, k=-1).numpy(), np.tri(3, 4, -1))
    np.testing.assert_allclose(ops.linspace(0, 1, 5, endpoint=False).numpy(), np.linspace(0, 1, 5, endpoint=False))
    values, step = ops.linspace(np.array([0.0, 1.0]), 2.0, 3, retstep=True, axis=1)
    np.testing.assert_allclose(values.numpy(), np.linspace([0.0, 1.0], 2.0, 3, axis=1))
    np.testing.assert_allclose(step.numpy(), [1.0, 0.5])
    np.testing.assert_array_equal(ops.full_like(np.zeros((2, 1), np.float32), 2.5).numpy(), [[2.5], [2.5]])
    np.testing.assert_array_equal(ops.full_like(np.zeros(2, np.int32), 2, dtype="float32").numpy(), [2.0, 2.0])
    labels = np.array([[1, 3], [-1, 4]])
    hot = ops.one_hot(labels, 4)
    assert hot.shape == (2, 2, 4)
    np.testing.assert_array_equal(hot.numpy()[0], np.eye(4)[[1, 3]])
    np.testing.assert_array_equal(hot.numpy()[1], 0)  # out of range: all zeros
    np.testing.assert_array_equal(ops.one_hot(labels, 4, axis=0).numpy(), np.moveaxis(hot.numpy(), -1, 0))
    assert ops.one_hot(np.array([0, 2]), 3, dtype="int32").dtype == "int32"
    assert ops.shape(np.zeros((2, 0, 3))) == (2, 0, 3)
    assert ops.shape(ops.ones((4,))) == (4,) and ops.shape(3.0) == ()
    assert all(type(d) is int for d in ops.shape(ops.ones((2, 3))))


def test_empty_inputs():
    empty = np.zeros((0, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the mean of nothing is NaN, quietly
        np.testing.assert_array_equal(ops.std(empty, axis=0).numpy(), [np.nan] * 3)
        assert np.isnan(float(ops.var(empty)))
    assert float(ops.prod(empty)) == 1.0 and float(ops.norm(empty)) == 0.0
    np.testing.assert_array_equal(ops.prod(empty, axis=0).numpy(), [1, 1, 1])
    assert ops.cumsum(empty, axis=0).shape == (0, 3) and ops.cumprod(empty).shape == (0,)
    assert ops.sort(empty, axis=0).shape == (0, 3) and ops.argsort(empty).shape == (0, 3)
    assert ops.take(normal(3), []).shape == (0,)
    assert [p.shape for p in ops.split(empty, 3, axis=1)] == [(0, 1)] * 3
    assert ops.pad(empty, 1).shape == (2, 5) and ops.unstack(empty) == []
    assert ops.einsum("ij,jk->ik", empty, normal(3, 2)).shape == (0, 2)
    # Gradients of empty or dropped elements are zeros of the source's shape.
    x = keras.Variable(normal(2, 3))
    with keras.GradientTape() as tape:
        loss = (ops.sum(ops.tile(x, (0, 1))) + ops.sum(ops.repeat(x, [0, 0, 0], axis=1))
                + ops.sum(ops.prod(ops.take(x, [], axis=0), axis=0)) + ops.sum(ops.einsum("ij,jk->ik", x, np.zeros((3, 0)))))
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), np.zeros((2, 3)))


def test_erf_keeps_relative_precision_near_zero_and_in_the_tails():
    x = np.array([1e-30, -1e-8, 1e-4, 0.4999, 0.5, 2.5, 6.0, -np.inf], np.float32)
    np.testing.assert_allclose(ops.erf(x).numpy(), _erf(x.astype(np.float64)), rtol=1e-6)


def _raises(op_name, call, error=ValueError, match=""):
    with pytest.raises(error, match=f"^{op_name}: .*{match}"):
        call()


BAD_ARGUMENTS = [
    ("norm", lambda: ops.norm(normal(3, 3), ord="nuc"), "unsupported matrix"),
    ("norm", lambda: ops.norm(normal(3), ord=3), "unsupported vector"),
    ("norm", lambda: ops.norm(normal(3), ord="fro"), "unsupported vector"),
    ("norm", lambda: ops.norm(normal(2, 2, 2), ord=1), "1-D or 2-D"),
    ("norm", lambda: ops.norm(normal(2, 2, 2), axis=(0, 1, 2)), "pair"),
    ("top_k", lambda: ops.top_k(normal(2, 3), 4), "k must be"),
    ("top_k", lambda: ops.top_k(normal(3), -1), "k must be"),
    ("top_k", lambda: ops.top_k(np.float32(1.0), 1), "k must be"),
    ("one_hot", lambda: ops.one_hot(np.array([1]), 3, sparse=True), "sparse"),
    ("one_hot", lambda: ops.one_hot(np.array([1]), -2), "num_classes"),
    ("one_hot", lambda: ops.one_hot(np.array([1]), 3, axis=2), "out of bounds"),
    ("pad", lambda: ops.pad(normal(3), 1, mode="mean"), "mode must be"),
    ("pad", lambda: ops.pad(normal(3), 1, mode="edge", constant_values=1.0), "constant_values"),
    ("where", lambda: ops.where(MASK, normal(2, 3)), "both"),
    ("where", lambda: ops.where(True), "0-d"),
    ("split", lambda: ops.split(normal(5), 2), "equal division"),
    ("split", lambda: ops.split(normal(4), 2, axis=1), "out of bounds"),
    ("unstack", lambda: ops.unstack(normal(2, 3), num=3), "num=3"),
    ("tril", lambda: ops.tril(normal(3)), "at least 2"),
    ("diag", lambda: ops.diag(normal(2, 2, 2)), "1-D or 2-D"),
    ("einsum", lambda: ops.einsum("ij,jk->ik", normal(2, 3)), "2 operands"),
    ("einsum", lambda: ops.einsum("ijk->i", normal(2, 3)), "do not fit"),
    ("einsum", lambda: ops.einsum("i1->i", normal(2, 3)), "letters"),
    ("tensordot", lambda: ops.tensordot(normal(2, 3), normal(2, 3), axes=1), "differ"),
    ("tensordot", lambda: ops.tensordot(normal(2, 3), normal(3, 2), axes=3), "axes=3"),
    ("dot", lambda: ops.dot(normal(2, 3), normal(2, 3)), "differ"),
    ("take", lambda: ops.take(normal(3, 2), [3], axis=0), "indices must be in"),
    ("take_along_axis", lambda: ops.take_along_axis(normal(3, 2), np.array([[0, -3]]), axis=1), "indices must be in"),
    ("var", lambda: ops.var(normal(2, 3), axis=2), "out of bounds"),
    ("std", lambda: ops.std(normal(2, 3), axis=(1, -1)), "repeated"),
    ("moments", lambda: ops.moments(normal(2, 3), [0, 3]), "out of bounds"),
    ("cumsum", lambda: ops.cumsum(normal(2, 3), axis=-3), "out of bounds"),
    ("trace", lambda: ops.trace(normal(3)), "out of bounds"),
    ("meshgrid", lambda: ops.meshgrid(normal(2), indexing="yx"), "indexing"),
    ("swapaxes", lambda: ops.swapaxes(normal(2, 3), 0, 2), "out of bounds"),
    ("tile", lambda: ops.tile(normal(2), -1), "negative"),
]


@pytest.mark.parametrize("op_name,call,match", BAD_ARGUMENTS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_raise_value_errors_naming_the_op(op_name, call, match):
    _raises(op_name, call, ValueError, match)


def test_out_of_range_indices_are_index_errors_too_and_other_types_are_refused():
    _raises("take", lambda: ops.take(normal(3), [-4]), IndexError, "indices must be in")
    _raises("take", lambda: ops.take(normal(3), [0.5]), TypeError, "integers")
    _raises("one_hot", lambda: ops.one_hot(np.array([1]), 2.5), TypeError)
    _raises("einsum", lambda: ops.einsum(3, normal(2)), TypeError, "string")


def test_results_do_not_alias_a_variable_that_changes_later():
    v = keras.Variable(np.ones((2, 3), np.float32))
    results = [ops.unstack(v)[0], ops.split(v, 2)[0], ops.swapaxes(v[:1], 0, 0), ops.take(v, 0, axis=0)]
    v.assign(np.zeros((2, 3), np.float32))
    for result in results:
        np.testing.assert_array_equal(result.numpy(), 1.0)
