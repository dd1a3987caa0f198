/**
 * The site's faster TF.js kernels in one module: CPU (./cpu_kernels.ts) and WASM
 * (./wasm_kernels.ts). Pages get them through ./tfjs.ts; Node runs (`verify`, the converter
 * benchmark) load this file compiled by builders/convert/tfjs_runtime.py, so models are checked
 * and timed with the kernels the pages run.
 */
export {registerFastCpuKernels} from './cpu_kernels';
export {registerFastWasmKernels} from './wasm_kernels';
