/**
 * The site's TF.js: what `import * as tf from '@tensorflow/tfjs'` resolves to in our page bundles
 * (builders/bundle.py aliases the package to this file). It is the `@tensorflow/tfjs` union minus
 * tfjs-layers and tfjs-data, which no page needs (every model is a graph model): about 250 KB
 * less JavaScript per page. A page that uses `tf.layers` or `tf.data` fails the bundle step with
 * `Import "layers" will always be undefined`; import '@tensorflow/tfjs-layers' directly there.
 * Node code (tests, the benchmark runner) keeps the real package.
 *
 * The backends come without kernels (`dist/base`): builders/bundle.py puts in front of each page's
 * entry a generated module that registers the kernels the page runs (builders/tfjs_kernels.py),
 * or all of them for pages that do not list theirs.
 *
 * Importing it also replaces some kernels with faster ones (same results up to float rounding):
 * the CPU backend's matrix products, broadcasting arithmetic and transposes (./cpu_kernels.ts,
 * several times faster when a page falls back to the CPU), and the WASM backend's matrix products
 * (./wasm_kernels.ts).
 */
import {version_converter} from '@tensorflow/tfjs-converter';
import {version_cpu} from '@tensorflow/tfjs-backend-cpu/dist/base';
import {version_webgl} from '@tensorflow/tfjs-backend-webgl/dist/base';
import {version_core} from '@tensorflow/tfjs-core';
import {registerFastCpuKernels, registerFastWasmKernels} from './fast_kernels';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-converter';
export * from '@tensorflow/tfjs-backend-cpu/dist/base';
export * from '@tensorflow/tfjs-backend-webgl/dist/base';

/** Like `tf.version` of the full package; `tfjs` is the core version (all packages are pinned together). */
export const version = {
  'tfjs-core': version_core, 'tfjs-backend-cpu': version_cpu, 'tfjs-backend-webgl': version_webgl,
  'tfjs-converter': version_converter, tfjs: version_core,
};

// The kernel-registration module builders/bundle.py puts in front of each page's entry has run by
// now, so the backends' own kernels, which these go in front of, are registered.
registerFastCpuKernels();
registerFastWasmKernels();
