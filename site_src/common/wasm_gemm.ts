/**
 * Single-precision matrix products as WebAssembly SIMD code generated for each shape:
 * `C[M, N] = act(A[M, K] @ B[K, N] + bias[N])`, all row-major float32 in one wasm memory.
 *
 * Why generate code: TF.js 4.22's WASM backend computes dense products through an XNNPACK build
 * without fused multiply-adds, and batched products (attention) as a scalar loop. A kernel
 * specialised to K and N, with every stride and offset an immediate operand and B packed into
 * 12-column panels (one contiguous stream per panel), ran the LiT-Ti text tower's dense products
 * 1.4-2.2x as fast as XNNPACK with relaxed SIMD's `f32x4.relaxed_madd` (Chromium 114+, Node 22+;
 * Node 20 with --experimental-wasm-relaxed-simd), ~1.07x without it, and attention's batched
 * products 7-10x as fast (2-core x86-64 VM; benchmarks/wasm_profile.py). See ./wasm_kernels.ts for
 * how TF.js uses it.
 *
 * Layout of the code: `tile_r_v(pA, pB, pC, pBias)` computes an r x 4v block of C (r <= 3,
 * v <= 3), keeping its accumulators, the r broadcast A values and the v B vectors in registers
 * (at most 15 of x64's 16) for the whole K loop; `gemm(pA, pB, pC, pBias, M)` walks the column
 * panels, and in each the row tiles of 3 rows plus one remainder tile. The K loop is not
 * unrolled: V8's TurboFan hoists every load of an unrolled body to its top, runs out of
 * registers and spills (measured 9.5 vs 14.5 G multiply-adds/s for a 3x12 tile, Node 20).
 */
import {FunctionWriter, I32, Simd, V128, writeModule} from './wasm_emit';

/** Panel width in columns (three f32x4 vectors). */
export const PANEL = 12;
/** Rows per tile. */
const ROWS = 3;

export type GemmActivation = 'linear' | 'relu' | 'relu6';

/** What one generated kernel computes, besides K and N. */
export interface GemmVariant {
  /** B is in panel order (`packB`) rather than row-major. */
  packed: boolean;
  bias: boolean;
  activation: GemmActivation;
}

/** What the WebAssembly engine and memory offer (see `detectSimd`). */
export interface GemmFeatures {
  /** `f32x4.relaxed_madd` (relaxed SIMD): one fused multiply-add instead of a multiply and an add. */
  relaxedMadd: boolean;
  /** The memory is shared (a threaded WASM build); the import must say so. */
  sharedMemory: boolean;
}

function tile(K: number, N: number, rows: number, vecs: number, variant: GemmVariant, features: GemmFeatures): FunctionWriter {
  const f = new FunctionWriter([I32, I32, I32, I32]);
  const [pA, pB, pC, pBias] = [0, 1, 2, 3];
  const acc = Array.from({length: rows}, () => Array.from({length: vecs}, () => f.local(V128)));
  const a = Array.from({length: rows}, () => f.local(V128));
  const b = f.local(V128);
  const end = f.local(I32);
  const bRowBytes = variant.packed ? vecs * 16 : N * 4;

  for (let v = 0; v < vecs; v++) {
    if (variant.bias) f.get(pBias).v128Load(v * 16);
    else f.f32x4Const(0);
    for (let r = 0; r < rows; r++) f.tee(acc[r][v]);
    f.drop();
  }
  // The K loop; each k broadcasts A[r, k] for each row, then adds B's row k times those into every
  // row's accumulators, one B vector at a time.
  f.get(pA).i32(K * 4).i32Add().set(end);
  f.loop();
  for (let r = 0; r < rows; r++) f.get(pA).load32Splat(r * K * 4).set(a[r]);
  for (let v = 0; v < vecs; v++) {
    f.get(pB).v128Load(v * 16).set(b);
    for (let r = 0; r < rows; r++) {
      if (features.relaxedMadd) f.get(a[r]).get(b).get(acc[r][v]).simd(Simd.f32x4RelaxedMadd);
      else f.get(acc[r][v]).get(a[r]).get(b).simd(Simd.f32x4Mul).simd(Simd.f32x4Add);
      f.set(acc[r][v]);
    }
  }
  f.get(pA).i32(4).i32Add().set(pA);
  f.get(pB).i32(bRowBytes).i32Add().set(pB);
  f.get(pA).get(end).i32Ne().brIf(0);
  f.end();
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vecs; v++) {
      f.get(pC).get(acc[r][v]);
      if (variant.activation !== 'linear') f.f32x4Const(0).simd(Simd.f32x4Max);
      if (variant.activation === 'relu6') f.f32x4Const(6).simd(Simd.f32x4Min);
      f.v128Store(r * N * 4 + v * 16);
    }
  }
  return f;
}

/**
 * The module for one (K, N, variant): exports `gemm(pA, pB, pC, pBias, M)` (byte addresses; pBias
 * unused without bias). Needs `N % 4 == 0`, K >= 1.
 */
export function gemmModuleBytes(K: number, N: number, variant: GemmVariant, features: GemmFeatures): Uint8Array<ArrayBuffer> {
  if (K < 1 || N < 4 || N % 4) throw new Error(`gemm kernel needs K >= 1 and N a positive multiple of 4 (K=${K}, N=${N})`);
  const fullN = N - (N % PANEL);
  const panels: {from: number; to: number; vecs: number}[] = [];
  if (fullN) panels.push({from: 0, to: fullN, vecs: PANEL / 4});
  if (N % PANEL) panels.push({from: fullN, to: N, vecs: (N % PANEL) / 4});

  const functions: FunctionWriter[] = [];
  const tileIndex = new Map<string, number>();
  for (const {vecs} of panels) {
    for (let r = 1; r <= ROWS; r++) {
      tileIndex.set(`${r},${vecs}`, functions.length);
      functions.push(tile(K, N, r, vecs, variant, features));
    }
  }

  const g = new FunctionWriter([I32, I32, I32, I32, I32]);
  const [pA, pB, pC, pBias, M] = [0, 1, 2, 3, 4];
  const j = g.local(I32), m = g.local(I32), pa = g.local(I32), pc = g.local(I32);
  const panelBytesPerColumn = variant.packed ? K * 4 : 4;  // where panel j starts in B, per column of j
  const callTile = (r: number, vecs: number) => {
    g.get(pa);
    g.get(pB).get(j).i32(panelBytesPerColumn).i32Mul().i32Add();
    g.get(pc);
    g.get(pBias).get(j).i32(4).i32Mul().i32Add();
    g.call(tileIndex.get(`${r},${vecs}`)!);
  };
  for (const {from, to, vecs} of panels) {
    g.i32(from).set(j);
    g.loop();
    g.i32(0).set(m).get(pA).set(pa);
    g.get(pC).get(j).i32(4).i32Mul().i32Add().set(pc);
    // while (m + ROWS <= M) one full tile
    g.block().loop();
    g.get(m).i32(ROWS).i32Add().get(M).i32GtU().brIf(1);
    callTile(ROWS, vecs);
    g.get(m).i32(ROWS).i32Add().set(m);
    g.get(pa).i32(ROWS * K * 4).i32Add().set(pa);
    g.get(pc).i32(ROWS * N * 4).i32Add().set(pc);
    g.br(0).end().end();
    for (let r = 1; r < ROWS; r++) {
      g.get(M).get(m).i32Sub().i32(r).i32Eq().if();
      callTile(r, vecs);
      g.end();
    }
    g.get(j).i32(vecs * 4).i32Add().tee(j).i32(to).i32LtU().brIf(0);
    g.end();
  }
  functions.push(g);
  return writeModule(functions, {gemm: functions.length - 1}, {shared: features.sharedMemory});
}

/**
 * Copy B (`K x N` row-major, or `N x K` when `transposed`) into panel order at `out`: for each
 * panel of `PANEL` columns (the last may be narrower), its K rows one after another.
 */
export function packB(b: Float32Array, K: number, N: number, transposed: boolean, out: Float32Array): void {
  let o = 0;
  for (let j = 0; j < N; j += PANEL) {
    const width = Math.min(PANEL, N - j);
    for (let k = 0; k < K; k++) {
      for (let c = 0; c < width; c++) out[o++] = transposed ? b[(j + c) * K + k] : b[k * N + j + c];
    }
  }
}

/** A generated kernel: byte addresses in the memory it was instantiated with. */
export type GemmFunction = (pA: number, pB: number, pC: number, pBias: number, M: number) => void;

/** The smallest module returning a v128 (`relaxed`: computed by relaxed SIMD's multiply-add), to ask the engine. */
function probe(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const f = new FunctionWriter([], [V128]);
  f.f32x4Const(1);
  if (relaxed) f.f32x4Const(2).f32x4Const(3).simd(Simd.f32x4RelaxedMadd);
  return writeModule([f], {}, {shared: false});
}

/** Whether this engine validates WebAssembly SIMD, and relaxed SIMD's fused multiply-add. */
export function detectSimd(): {simd: boolean; relaxedMadd: boolean} {
  if (typeof WebAssembly !== 'object') return {simd: false, relaxedMadd: false};
  const simd = WebAssembly.validate(probe(false));
  return {simd, relaxedMadd: simd && WebAssembly.validate(probe(true))};
}

/** Generated kernels for one memory, compiled on first use of each (K, N, variant). */
export class GemmKernels {
  private readonly compiled = new Map<string, GemmFunction | null>();

  constructor(private readonly memory: WebAssembly.Memory, readonly features: GemmFeatures) {}

  /** The kernel, or null when the engine refused to compile it (the caller falls back). */
  get(K: number, N: number, variant: GemmVariant): GemmFunction | null {
    const key = `${K},${N},${variant.packed},${variant.bias},${variant.activation}`;
    let gemm = this.compiled.get(key);
    if (gemm === undefined) {
      try {
        // Synchronous compilation: kernels run synchronously. Modules are a few KB (Chromium's
        // main-thread limit for this was 4 KB in old versions, 8 MB now).
        const module = new WebAssembly.Module(gemmModuleBytes(K, N, variant, this.features));
        gemm = new WebAssembly.Instance(module, {env: {memory: this.memory}}).exports.gemm as GemmFunction;
      } catch (err) {
        console.warn(`WASM matrix-product kernel for K=${K}, N=${N} did not compile (${err}); using TF.js's`);
        gemm = null;
      }
      this.compiled.set(key, gemm);
    }
    return gemm;
  }
}
