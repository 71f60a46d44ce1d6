// `npm test`: the suite a developer runs often (a few minutes). It is the whole suite
// (.mocharc.json, which `npm run test:all` and .ci/run use) minus the long suites named here:
// fault injection, database outages, the export engine, security and hostile input, whose
// tests hold faults for seconds or push tens of thousands of spans, and a few long load and
// outage tests inside otherwise quick files, matched by title. A new test is in the fast suite
// unless it is listed here; every test runs in `npm run test:all`.
const all = require('./.mocharc.json');

module.exports = {
  ...all,
  ignore: [
    'dist/test/integration/faults-*.test.js',
    'dist/test/integration/postgres-outage.test.js',
    'dist/test/integration/engine.test.js',
    'dist/test/integration/security-*.test.js',
    'dist/test/integration/hostile-input.test.js',
  ],
  grep: [
    'releases every session state once sessions end \\(100k sessions\\)',
    'loses nothing when PostgreSQL stops while the app records thousands of events',
    'loses nothing when the app exits during the outage',
  ].join('|'),
  invert: true,
};
