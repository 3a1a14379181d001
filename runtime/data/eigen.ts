// Eigendecomposition of a real symmetric matrix (the training covariance for PCA and ZCA whitening), by
// ml-matrix's EigenvalueDecomposition (the JAMA port: Householder tridiagonalization and implicit QL, in
// float64). This file only orders the result and fixes each eigenvector's sign, so that reruns and the numpy
// reference of tests/golden/make_data_golden.py agree.
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows (row i belongs to values[i]), unit length, each with its largest |entry| positive. */
  vectors: Float64Array;
}

/** `a` is n×n row-major and symmetric (its lower triangle is mirrored before use); it is not modified. */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m.set(i, j, a[i * n + j]!).set(j, i, a[i * n + j]!);
  const decomposition = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const d = decomposition.realEigenvalues;
  const V = decomposition.eigenvectorMatrix;
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => d[q]! - d[p]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    const column = V.getColumn(from);
    // Eigenvectors are defined up to sign; the largest |entry| is made positive.
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(column[k]!) > Math.abs(column[big]!)) big = k;
    const sign = column[big]! < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[to * n + k] = sign * column[k]!;
  });
  return { values, vectors };
}
