// Prints the plain closing line "N passed, N failed, N skipped" that CI reads after the jasmine run.
// Specs that do real I/O (a repository, a simulator, a browser) may take seconds on a busy 2-core
// machine; jasmine's 5 s default would fail them for the load, not for a fault. Specs that need
// longer still say so themselves.
import { contractStats } from '../contract/contract-stats.js';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 30_000;

let passed = 0;
let failed = 0;
let skipped = 0;
jasmine.getEnv().addReporter({
  specDone(result) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
  },
  jasmineDone() {
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
