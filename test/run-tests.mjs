// Runs every test file under test/ with Node's test runner (through tsx), two files at a time; a file whose tests are done but that leaves a handle open is ended (--test-force-exit), not waited for.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function collect(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return collect(full);
    return entry.endsWith('.test.ts') ? [full] : [];
  });
}

const filter = process.argv.slice(2);
const files = collect('test')
  .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { GWQUEUE_LOG_LEVEL: 'silent', ...process.env, GWQUEUE_ENV: 'test' },
});
process.exit(result.status ?? 1);
