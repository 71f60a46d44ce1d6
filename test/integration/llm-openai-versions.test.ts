/**
 * openai 4, 5 and the installed major (6 here; .ci/run installs 7 for its Node 22 and 24 runs),
 * with OpenAI and AzureOpenAI clients, in CommonJS and ESM apps under the preload, against the
 * loopback server. openai 4 and 5 are devDependencies under the aliases openai-v4 / openai-v5;
 * an app must load them as `openai` for the preload to recognise them, so each is copied to
 * .tmp/openai-vN/node_modules/openai beside a small app (their own dependencies are found in the
 * repository's node_modules, as an app's would be).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/child';
import { startLlmServer } from '../helpers/llm-server';
import { attr, type ReceivedSpan } from '../helpers/otlp-receiver';
import { loopbackApps } from '../helpers/loopback-apps';

const SCENARIOS = ['chat', 'chat-stream-usage', 'responses', 'responses-stream', 'embeddings', 'error-429-openai', 'azure-chat', 'azure-chat-stream', 'azure-embeddings', 'azure-error-429'];
const SCENARIOS_FILE = path.join(REPO_ROOT, 'test', 'fixtures', 'llm', 'scenarios.cjs');

const apps = loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.url }));

/** An app directory whose `openai` is the given installed package (the top-level one when alias is undefined). */
function appDir(alias: string | undefined): string {
  if (alias === undefined) return path.join(REPO_ROOT, 'test', 'fixtures', 'llm');
  const dir = path.join(REPO_ROOT, '.tmp', `${alias}-${process.pid}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'node_modules', alias), path.join(dir, 'node_modules', 'openai'), { recursive: true });
    const main = `main({ OpenAI, AzureOpenAI: OpenAI.AzureOpenAI, Anthropic: function () {} }, agentops)`;
    fs.writeFileSync(
      path.join(dir, 'app.cjs'),
      `'use strict';\nconst OpenAI = require('openai');\nconst agentops = require('agentops-otel');\nconst { main } = require(${JSON.stringify(SCENARIOS_FILE)});\n${main}.catch((e) => { console.error('app failed', e); process.exitCode = 1; });\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'app.mjs'),
      `import OpenAI, { AzureOpenAI } from 'openai';\nimport * as agentops from 'agentops-otel';\nimport scenarios from ${JSON.stringify(SCENARIOS_FILE)};\nscenarios.main({ OpenAI, AzureOpenAI, Anthropic: function () {} }, agentops).catch((e) => { console.error('app failed', e); process.exitCode = 1; });\n`,
    );
    apps.dirs.push(dir);
  }
  return dir;
}

async function run(alias: string | undefined, app: 'app.cjs' | 'app.mjs', preload: 'require' | 'import' | 'none'): Promise<{ spans: ReceivedSpan[]; stdout: string }> {
  const { res, spans } = await apps.run(path.join(appDir(alias), app), preload, { SCENARIOS: SCENARIOS.join(','), SESSION: '1' });
  return { spans, stdout: res.stdout };
}

function installedVersion(alias: string | undefined): string {
  const pkg = path.join(alias === undefined ? path.join(REPO_ROOT, 'node_modules', 'openai') : path.join(REPO_ROOT, 'node_modules', alias), 'package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

const num = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined);

for (const alias of ['openai-v4', 'openai-v5', undefined]) {
  describe(`openai ${installedVersion(alias)}${alias === undefined ? ' (installed)' : ''}: OpenAI and AzureOpenAI clients`, () => {
    for (const [app, preload] of [
      ['app.cjs', 'require'],
      ['app.mjs', 'import'],
    ] as const) {
      it(`traces every call once in ${app === 'app.cjs' ? 'CommonJS' : 'ESM'}, Azure under its own provider name, and leaves the app's output unchanged`, async () => {
        const { spans, stdout } = await run(alias, app, preload);
        const llms = spans.filter((s) => attr(s, 'agentops.span.kind') === 'llms').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
        assert.equal(llms.length, SCENARIOS.length, llms.map((s) => s.name).join(', '));
        SCENARIOS.forEach((scenario, i) => {
          const span = llms[i];
          const where = `${scenario}: ${span.name} ${JSON.stringify(span.attributes, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`;
          const azure = scenario.startsWith('azure');
          assert.equal(attr(span, 'gen_ai.provider.name'), azure ? 'azure.ai.openai' : 'openai', where);
          assert.equal(attr(span, 'server.address'), '127.0.0.1', where);
          if (scenario.includes('error')) {
            assert.equal(span.status.code, 2, where);
            assert.equal(attr(span, 'error.type'), 'RateLimitError', where);
            assert.equal(num(attr(span, 'http.response.status_code')), 429, where);
            return;
          }
          assert.equal(span.status.code, 0, where);
          const embeddings = scenario.includes('embeddings');
          assert.equal(span.name, embeddings ? 'embeddings text-embedding-3-small' : scenario.startsWith('responses') ? 'chat gpt-4.1' : 'chat gpt-4o-mini', where);
          assert.ok((num(attr(span, 'gen_ai.usage.input_tokens')) ?? 0) > 0, where);
          assert.ok(typeof attr(span, 'agentops.usage.cost_usd') === 'number', where);
          const streamed = scenario.includes('stream');
          assert.equal(attr(span, 'gen_ai.request.stream'), streamed ? true : undefined, where);
          assert.equal(typeof attr(span, 'gen_ai.response.time_to_first_chunk'), streamed ? 'number' : 'undefined', where);
          if (!embeddings) assert.match(String(attr(span, 'gen_ai.output.messages')), /loopback/, where);
        });
        // The errors reached the app as the SDK threw them.
        assert.match(stdout, /error-429-openai \{"caught":"RateLimitError","status":429/);
        assert.match(stdout, /azure-error-429 \{"caught":"RateLimitError","status":429\}/);
        if (app === 'app.cjs') {
          const plain = await run(alias, app, 'none');
          assert.equal(stdout.replace(/[0-9a-f-]{36}/g, 'ID'), plain.stdout.replace(/[0-9a-f-]{36}/g, 'ID'));
          assert.equal(plain.spans.length, 0);
        }
      });
    }
  });
}
