#!/usr/bin/env -S node --max-old-space-size=112 --max-semi-space-size=4
// The compiled CLI lives in build/ (made by `npm install` through the prepare script).
//
// The V8 heap is capped (112 MiB of old generation, young generation of 3 × 4 MiB): V8 otherwise
// lets garbage pile up towards a limit of up to 4 GiB (from the machine's memory) before it collects,
// and the server's memory bound (README, "memory") counts the heap at this limit. The server's
// live heap is about 50 MiB with 100 protected VMs. Run as `node bin/lifeline.js`, node ignores
// this line; give it the same options.
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
