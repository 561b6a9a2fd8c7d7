// Prints the plain closing line "N passed, N failed, N skipped" that CI reads after the jasmine run.
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
