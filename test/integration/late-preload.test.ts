import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';

describe('preload loaded after an SDK', () => {
  it('logs a clear warning naming the module, and the app runs on', async () => {
    const res = await runNode(path.join(REPO_ROOT, 'test', 'fixtures', 'late-preload.js'), { preload: 'none', env: { AGENTOPS_EXPORTERS: 'none' } });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'ran\n');
    const warning = res.logs.find((l) => l.level === 'warn' && /openai/.test(String(l.msg)));
    assert.ok(warning, `no warning: ${res.stderr}`);
    assert.match(String(warning.msg), /^openai was loaded before agentops-otel\/register, so its calls are not traced; load the preload first/);
    assert.equal(res.logs.filter((l) => l.level === 'warn').length, 1, 'only the module loaded early is named');
  });
});
