// ESM app: named imports from a CommonJS package only work when Node can see its exports.
import { init, LLMEvent, ToolEvent } from 'agentops-otel';
import scenario from './scenario.cjs';

await scenario({ init, LLMEvent, ToolEvent }, 'esm');
