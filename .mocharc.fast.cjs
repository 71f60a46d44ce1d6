// `npm test`: the suite a developer runs often. It is the whole suite (.mocharc.json, which
// `npm run test:all` and .ci/run use) minus what is named here; every test runs in `npm run test:all`.
// Left out:
// - the long suites: fault injection, database outages, the export engine (its exit behaviour and
//   thread priority included), security and hostile input, whose tests hold faults for seconds,
//   push tens of thousands of spans or wait out shutdown bounds;
// - files that repeat an area the fast suite already covers: older openai majors (llm-sdk covers
//   the current one), the MCP instrumentation options (mcp covers the instrumentation);
// - matched by title: a few long load and outage tests inside otherwise quick files; the ESM
//   (--import) runs of tests that also run as CommonJS (--require), but one LLM SDK test that keeps
//   the ESM hook covered beside the preload's own --import runs; MCP over streamable HTTP (stdio
//   stays, for both SDK generations); the frameworks' content-capture-off runs (llm-sdk keeps one,
//   the security suite has the rest) and rarer calls (embeddings, structured output, an unsupported
//   major); the demo's variants (its main path stays); the invalid-variable runs but two
//   (hostile-input has a malformed case for every variable).
// A new test is in the fast suite unless it is listed here.
//
// The files run in parallel, in up to four worker processes (two on a two-core machine): most of a
// test's time is spent in the apps it starts. Each worker starts its own PostgreSQL once.
const os = require('node:os');
const all = require('./.mocharc.json');

module.exports = {
  ...all,
  parallel: true,
  jobs: Math.min(4, Math.max(2, os.availableParallelism() - 1)),
  ignore: [
    'dist/test/integration/faults-*.test.js',
    'dist/test/integration/postgres-outage.test.js',
    'dist/test/integration/engine.test.js',
    'dist/test/integration/exit.test.js',
    'dist/test/integration/thread-priority.test.js',
    'dist/test/integration/security-*.test.js',
    'dist/test/integration/hostile-input.test.js',
    'dist/test/integration/llm-openai-versions.test.js',
    'dist/test/integration/mcp-options.test.js',
  ],
  grep: [
    'releases every session state once sessions end \\(100k sessions\\)',
    'loses nothing when PostgreSQL stops while the app records thousands of events',
    'loses nothing when the app exits during the outage',
    'LLM SDKs in a ESM app under --import (?!turns each call)',
    '(@google/genai|AWS Bedrock Runtime) in a ESM app under --import',
    'agents\\.mjs under --import',
    '\\(--import\\)$',
    'over (stdio|streamable HTTP), ESM \\(--import\\)',
    'MCP client and server over streamable HTTP',
    '\\(http, import, SDK [^)]*\\)$',
    '(LangChain\\.js|Vercel AI SDK \\d+\\.x) with content capture off',
    'agentops-otel demo (without Jaeger|--keep|uses a configured database)',
    'LangChain\\.js (a streamed model call and an embeddings call|a @langchain/core major we do not support)',
    'Vercel AI SDK (of a major we do not support|\\d+\\.x (generateObject and streamObject|embed and embedMany|a stream the app leaves early|the app also turns on experimental_telemetry))',
    'preload configuration reports an invalid (?!AGENTOPS_EXPORTERS |OTEL_EXPORTER_OTLP_TRACES_ENDPOINT )',
  ].join('|'),
  invert: true,
};
