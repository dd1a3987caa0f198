/**
 * A minimal WebAssembly module writer: enough to emit the SIMD matrix-product kernels of
 * ./wasm_gemm.ts at run time, specialised to each matrix shape (constant strides and offsets
 * compile to immediate operands). It knows only what those kernels use: i32 and v128 locals,
 * blocks and loops, i32 arithmetic, SIMD loads/stores and f32x4 arithmetic, calls, and one
 * imported memory. Opcode numbers are from the WebAssembly 2.0 and relaxed-SIMD specifications.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
type ValueType = typeof I32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** Signed LEB128 (32-bit values). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && (byte & 0x40))) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const SIMD = 0xfd;
/** SIMD sub-opcodes used by the kernels. */
export const Simd = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c,
  f32x4Add: 0xe4, f32x4Mul: 0xe6, f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4RelaxedMadd: 0x105,
} as const;

/** The body of one function, written as a stack-machine instruction stream. */
export class FunctionWriter {
  private readonly locals: ValueType[] = [];
  private readonly code: number[] = [];

  constructor(readonly params: readonly ValueType[], readonly results: readonly ValueType[] = []) {}

  /** Declare a local; returns its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...bytes: number[]): this { this.code.push(...bytes); return this; }
  get(index: number): this { return this.op(0x20, ...uleb(index)); }
  set(index: number): this { return this.op(0x21, ...uleb(index)); }
  tee(index: number): this { return this.op(0x22, ...uleb(index)); }
  drop(): this { return this.op(0x1a); }
  i32(value: number): this { return this.op(0x41, ...sleb(value)); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtU(): this { return this.op(0x49); }
  i32GtU(): this { return this.op(0x4b); }
  /** `block`/`loop`/`if` with no result; close with `end()`. */
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  call(index: number): this { return this.op(0x10, ...uleb(index)); }
  simd(opcode: number): this { return this.op(SIMD, ...uleb(opcode)); }
  /** v128.load / v128.store at a constant byte offset from the address on the stack. */
  v128Load(offset: number): this { return this.op(SIMD, ...uleb(Simd.load), 4, ...uleb(offset)); }
  v128Store(offset: number): this { return this.op(SIMD, ...uleb(Simd.store), 4, ...uleb(offset)); }
  /** One float32 broadcast to all four lanes. */
  load32Splat(offset: number): this { return this.op(SIMD, ...uleb(Simd.load32Splat), 2, ...uleb(offset)); }
  /** The f32x4 vector with `value` in every lane. */
  f32x4Const(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
    return this.op(SIMD, ...uleb(Simd.const), ...bytes);
  }

  encode(): number[] {
    const locals = this.locals.map((type) => [1, type]);
    const body = [...vector(locals), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** How the module imports `env.memory`: a plain memory, or a shared one (threaded builds). */
export interface MemoryImport { shared: boolean }

/**
 * A module importing `env.memory` and defining `functions` (function i has index i), exporting
 * those named in `exports`.
 */
export function writeModule(functions: FunctionWriter[], exports: Record<string, number>, memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  // A shared memory must declare a maximum; 65536 pages (4 GiB) accepts any memory's own maximum.
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
  const exported = Object.entries(exports).map(([exportName, index]) => [...name(exportName), 0x00, ...uleb(index)]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exported)),
    ...section(10, vector(functions.map((f) => f.encode()))),
  ]);
}
