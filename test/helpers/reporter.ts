// Prints the plain closing line "N passed, N failed, N skipped" that CI reads after the jasmine run.
// Specs that do real I/O (a repository, a simulator, a browser) may take seconds on a busy 2-core
// machine, ten times longer than on an idle one; jasmine's 5 s default would fail them for the
// load, not for a fault. Specs that need longer say so themselves, with the same room: a limit is
// there to end a hang, never to measure speed.
import { writeFile } from 'node:fs/promises';
import { contractStats } from '../contract/contract-stats.js';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 120_000;

let passed = 0;
let failed = 0;
let skipped = 0;
// What a reader of only the run's last lines needs: which specs failed and why (first line of each
// failed expectation), and which specs came nearest their time limit.
const failures: string[] = [];
const durations: { name: string; ms: number }[] = [];
jasmine.getEnv().addReporter({
  specDone(result) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') {
      failed++;
      const why = result.failedExpectations.map((e) => (e.message.split('\n')[0] ?? '').slice(0, 300));
      failures.push(`${result.fullName} (${Math.round((result.duration ?? 0) / 1000)} s): ${why.join(' | ')}`);
    } else skipped++;
    durations.push({ name: result.fullName, ms: result.duration ?? 0 });
  },
  suiteDone(result) {
    // An afterAll that failed fails no spec but the run; name it too.
    for (const e of result.failedExpectations) failures.push(`${result.fullName} (suite): ${(e.message.split('\n')[0] ?? '').slice(0, 300)}`);
  },
  async jasmineDone() {
    // LIFELINE_SPEC_TIMES=<file> keeps every spec's duration, to find specs near their limit.
    const times = process.env['LIFELINE_SPEC_TIMES'];
    if (times) await writeFile(times, JSON.stringify(durations));
    const slowest = durations.sort((a, b) => b.ms - a.ms).slice(0, 8);
    process.stdout.write(`\nslowest specs:\n${slowest.map((d) => `  ${(d.ms / 1000).toFixed(1)} s  ${d.name}`).join('\n')}\n`);
    for (const f of failures) process.stdout.write(`FAILED: ${f}\n`);
    process.stdout.write(`\nserver: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  },
});

// The API suites check every answer they receive against the OpenAPI document (test/contract).
jasmine.getEnv().addReporter({
  jasmineDone() {
    const s = contractStats();
    if (s.responses + s.events > 0) {
      process.stdout.write(
        `contract: ${s.responses} API responses and ${s.events} job events validated against the OpenAPI document, ${s.violations} disagreed; ` +
          `${s.operations} of ${s.documented} documented operations answered, in ${s.operationStatuses} operation/status pairs\n`,
      );
      // LIFELINE_CONTRACT_COVERAGE=1 names the operations no spec of the run called.
      if (process.env['LIFELINE_CONTRACT_COVERAGE'] === '1') process.stdout.write(`contract: not answered: ${s.unanswered.join(', ')}\n`);
    }
  },
});
