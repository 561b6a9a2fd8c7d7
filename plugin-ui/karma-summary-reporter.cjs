// Karma reporter for the Lifeline UI suite. It prints each failure with its stack and closes the
// run with one line, "ui: N passed, N failed, N skipped", the form the root test script adds up
// across suites. A run that fails without a failing spec (a spec file that throws while loading, a
// browser that disconnects, no spec found at all) counts as one failure, so it never reads as green.

function LifelineSummaryReporter(baseReporterDecorator, formatError) {
  baseReporterDecorator(this);

  let passed = 0;
  let failed = 0;
  let skipped = 0;

  this.onRunStart = () => {
    this._browsers = [];
    passed = 0;
    failed = 0;
    skipped = 0;
  };

  this.specSuccess = () => {
    passed += 1;
  };

  this.specSkipped = () => {
    skipped += 1;
  };

  this.specFailure = (browser, result) => {
    failed += 1;
    const name = [...result.suite, result.description].join(' > ');
    const details = result.log.map((entry) => formatError(entry, '    ')).join('');
    this.write(`FAILED ${name}\n${details}\n`);
  };

  this.onBrowserError = (browser, error) => {
    this.write(`ERROR in ${browser}\n${formatError(error, '    ')}\n`);
  };

  this.onRunComplete = (browsers, results) => {
    if (results.exitCode !== 0 && failed === 0) {
      failed = 1;
    }
    this.write(`ui: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  };
}

LifelineSummaryReporter.$inject = ['baseReporterDecorator', 'formatError'];

module.exports = {
  'reporter:lifeline-summary': ['type', LifelineSummaryReporter],
};
