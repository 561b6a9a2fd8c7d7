#!/usr/bin/env node
// The compiled CLI lives in build/ (made by `npm install` through the prepare script).
//
// Chunk writes fsync through libuv's thread pool; with its default of 4 threads, a burst of
// fsyncs starves the reads that feed the pipeline. The pool size is read once, when the pool is
// first used, so it is set here, before anything else is loaded.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { main } = await import('../build/plugin-server/src/cli/main.js');

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`lifeline: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
