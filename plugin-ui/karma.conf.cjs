// Karma for the Lifeline UI: one headless run in Debian's Chromium, never a browser a test tool
// downloads. The flags keep Chromium from reaching the network or needing a sandbox and /dev/shm,
// which containers and CI machines often lack. CommonJS because the workspace package is an ES
// module package and Karma 6 loads its configuration with require().
const fs = require('node:fs');

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
if (!process.env.CHROME_BIN && fs.existsSync(DEBIAN_CHROMIUM)) {
  process.env.CHROME_BIN = DEBIAN_CHROMIUM;
}

module.exports = function (config) {
  config.set({
    basePath: '',
    frameworks: ['jasmine'],
    plugins: [
      require('karma-jasmine'),
      require('karma-chrome-launcher'),
      require('./karma-summary-reporter.cjs'),
    ],
    client: {
      jasmine: { random: true },
      // Console output of the app under test belongs in the browser, not in the test log.
      captureConsole: false,
    },
    reporters: ['lifeline-summary'],
    browsers: ['ChromeHeadlessLifeline'],
    customLaunchers: {
      ChromeHeadlessLifeline: {
        base: 'ChromeHeadless',
        flags: [
          '--no-sandbox',
          '--headless',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      },
    },
    // A cold Chromium on a two-core machine can take a while to connect.
    captureTimeout: 120000,
    browserNoActivityTimeout: 120000,
    browserDisconnectTolerance: 0,
    logLevel: config.LOG_WARN,
    singleRun: true,
    autoWatch: false,
    restartOnFileChange: false,
  });
};
