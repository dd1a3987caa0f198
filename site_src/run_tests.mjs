// Bundle every site_src/**/*_test.ts with esbuild and run them with node's test runner.
import {build} from 'esbuild';
import {readdirSync, rmSync, statSync} from 'node:fs';
import {join, relative} from 'node:path';
import {spawnSync} from 'node:child_process';

const root = new URL('.', import.meta.url).pathname;
const outDir = join(root, '..', '.test-build');

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('_test.ts') ? [path] : [];
  });
}

const tests = findTests(root).sort();
rmSync(outDir, {recursive: true, force: true});
const outputs = [];
for (const file of tests) {
  const outfile = join(outDir, relative(root, file)).replace(/\.ts$/, '.mjs');
  await build({entryPoints: [file], bundle: true, platform: 'node', format: 'esm', outfile,
    logLevel: 'warning', packages: 'external'});
  outputs.push(outfile);
}
// Node 20's V8 has relaxed SIMD behind a flag (Chromium and newer Node ship it): turn it on so the
// WASM kernels' fused multiply-add path (site_src/common/wasm_gemm.ts) is tested too.
const v8Options = spawnSync(process.execPath, ['--v8-options'], {encoding: 'utf8'}).stdout;
const flags = /default: --no-experimental-wasm-relaxed-simd/.test(v8Options) ? ['--experimental-wasm-relaxed-simd'] : [];
const result = spawnSync(process.execPath, [...flags, '--test', ...outputs], {stdio: 'inherit'});
process.exit(result.status ?? 1);
