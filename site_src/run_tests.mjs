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
const result = spawnSync(process.execPath, ['--test', ...outputs], {stdio: 'inherit'});
process.exit(result.status ?? 1);
