#!/usr/bin/env node
// The compiled CLI lives in build/ (made by `npm install` through the prepare script).
import { main } from '../build/plugin-server/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`lifeline: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
