// Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the
// implicit QL algorithm (EISPACK's tred2 and tql2, as JAMA writes them). O(n³), stable, in float64: a
// 784×784 covariance (MNIST) takes a second or two, where cyclic Jacobi would take many sweeps of n³.

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows (row i belongs to values[i]), unit length, each with its largest |entry| positive. */
  vectors: Float64Array;
}

/** `a` is n×n row-major and symmetric (only its lower triangle is read); it is not modified. */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  // V is stored column-major (V[i][j] at j·n + i): the inner loops of both phases walk down columns, and
  // tql2's rotations of column pairs become rotations of contiguous rows of the storage. For a symmetric
  // input, column-major and row-major storage hold the same numbers.
  const V = Float64Array.from(a.subarray(0, n * n));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) V[i * n + j] = V[j * n + i]!;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  const W = V;
  tql2(W, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => d[q]! - d[p]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    const row = W.subarray(from * n, from * n + n);
    // Eigenvectors are defined up to sign; fix it so the numpy reference and reruns agree.
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(row[k]!) > Math.abs(row[big]!)) big = k;
    const sign = row[big]! < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[to * n + k] = sign * row[k]!;
  });
  return { values, vectors };
}

/** Householder tridiagonalization; V (column-major) becomes the accumulated orthogonal transform. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (i: number, j: number) => j * n + i;
  for (let j = 0; j < n; j++) d[j] = V[at(n - 1, j)]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[at(i - 1, j)]!;
        V[at(i, j)] = 0;
        V[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[at(j, i)] = f;
        g = e[j]! + V[at(j, j)]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[at(k, j)]! * d[k]!;
          e[k] = e[k]! + V[at(k, j)]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[at(k, j)] = V[at(k, j)]! - (f * e[k]! + g * d[k]!);
        d[j] = V[at(i - 1, j)]!;
        V[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[at(n - 1, i)] = V[at(i, i)]!;
    V[at(i, i)] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[at(k, i + 1)]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[at(k, i + 1)]! * V[at(k, j)]!;
        for (let k = 0; k <= i; k++) V[at(k, j)] = V[at(k, j)]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[at(k, i + 1)] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[at(n - 1, j)]!;
    V[at(n - 1, j)] = 0;
  }
  V[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e); W's rows (V's columns, stored column-major) become the eigenvectors. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      for (let iteration = 0; ; iteration++) {
        if (iteration > 100) throw new Error("internal: the eigenvalue iteration did not converge");
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const a = i * n;
          const b = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const t = W[b + k]!;
            W[b + k] = s * W[a + k]! + c * t;
            W[a + k] = c * W[a + k]! - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (Math.abs(e[l]!) <= eps * tst1) break;
      }
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
