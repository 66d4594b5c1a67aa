#!/usr/bin/env node
// Executable entry point: runs the compiled program, built by `npm run build` / `prepare` (dist/ and dist/bundle/).
// Resident processes (RESIDENT_COMMANDS in src/cli/run-bundle.ts: servers, workers, the shell and the live monitor) load
// dist/ module by module. Every other command is one-shot and runs dist/bundle/main.cjs (scripts/bundle.ts), one file
// with a V8 code cache (dist/cli/run-bundle.js): its start-up is its time.
// A module preloaded with `node --import` or `--require` (the bench's stand-in task, the tests' fault tasks) extends
// the registries of dist/, not the bundle's copies: such a process runs dist/ too.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const preloads = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
  /--import|--require|--(experimental-)?loader|(^|\s)-r\b/.test(arg),
);
const loader = new URL('../dist/cli/run-bundle.js', import.meta.url);
let entry = loader;
const program = import(loader.href).then(({ RESIDENT_COMMANDS, loadBundle }) => {
  const resident = RESIDENT_COMMANDS.has(process.argv[2]) || preloads;
  entry = new URL(resident ? '../dist/main.js' : '../dist/bundle/main.cjs', import.meta.url);
  return resident ? import(entry.href) : loadBundle(fileURLToPath(entry)).exports;
});
program
  .then(({ main }) => main())
  .catch((error) => {
    // "Not built" only when the file to load (the loader, then the entry) is missing: any other error (a package not
    // installed, a broken build) is named as it is, in one line, so that it is never mistaken for a fresh clone.
    if (!existsSync(fileURLToPath(entry))) {
      process.stderr.write('gwqueue: not built yet: run `npm ci` (or `npm run build`) in the gwqueue folder first\n');
    } else {
      process.stderr.write(`gwqueue: cannot load the program: ${String(error?.message ?? error).split('\n')[0]}\n`);
    }
    process.exit(70);
  });
