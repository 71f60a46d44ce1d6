/**
 * The instrumentations the preload can load, by name. `AGENTOPS_INSTRUMENTATIONS_ENABLED` /
 * `_DISABLED` (or OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS)
 * choose among them (instrumentations/config.ts).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AgentOpsInstrumentation } from './agentops/instrumentation';
import { AiSdkInstrumentation } from './ai-sdk/instrumentation';
import { AnthropicInstrumentation } from './anthropic/instrumentation';
import { BedrockInstrumentation } from './bedrock/instrumentation';
import type { PriceTable } from '../src/shared/prices';
import { GoogleGenAIInstrumentation } from './google-genai/instrumentation';
import { McpInstrumentation } from './mcp/instrumentation';
import { ESM_FILES as MCP_ESM_FILES } from './mcp/semconv';
import { McpV2Instrumentation } from './mcp-v2/instrumentation';
import { MODULES as MCP_V2_MODULES } from './mcp-v2/semconv';
import { LangChainInstrumentation } from './langchain/instrumentation';
import { MANAGER_ESM_URL, PREBUILT_ESM_URL } from './langchain/semconv';
import { OpenAIInstrumentation } from './openai/instrumentation';
import { OpenAIAgentsInstrumentation } from './openai-agents/instrumentation';

export interface InstrumentationOptions {
  serviceName: string;
  captureContent: boolean;
  maxAttributeLength: number;
  /** AGENTOPS_PRICE_TABLE overrides; the built-in prices (@pydantic/genai-prices) apply either way. */
  prices?: Readonly<PriceTable>;
  /** LLM events are priced by the export engine, off the app's thread (the agentops instrumentation's option). */
  costInExport?: boolean;
}

export interface InstrumentationEntry {
  name: string;
  /** One instrumentation, or several under one name (MCP: the 1.x SDK and the v2 packages). */
  create(options: InstrumentationOptions): Instrumentation | Instrumentation[];
  /** Packages whose ESM `import`s the import-in-the-middle hook must intercept for this one (a RegExp matches file URLs). */
  esmModules?: Array<string | RegExp>;
}

export const INSTRUMENTATIONS: InstrumentationEntry[] = [
  { name: 'agentops', create: (o) => new AgentOpsInstrumentation(o) },
  { name: 'openai', create: (o) => new OpenAIInstrumentation(o), esmModules: ['openai'] },
  { name: 'anthropic', create: (o) => new AnthropicInstrumentation(o), esmModules: ['@anthropic-ai/sdk'] },
  { name: 'openai-agents', create: (o) => new OpenAIAgentsInstrumentation(o), esmModules: ['@openai/agents-core'] },
  { name: 'google-genai', create: (o) => new GoogleGenAIInstrumentation(o), esmModules: ['@google/genai'] },
  { name: 'aws-bedrock', create: (o) => new BedrockInstrumentation(o), esmModules: ['@aws-sdk/client-bedrock-runtime'] },
  { name: 'mcp', create: (o) => [new McpInstrumentation(o), new McpV2Instrumentation(o)], esmModules: ['@modelcontextprotocol/sdk', MCP_ESM_FILES, ...MCP_V2_MODULES] },
  { name: 'ai-sdk', create: (o) => new AiSdkInstrumentation(o), esmModules: ['ai'] },
  { name: 'langchain', create: (o) => new LangChainInstrumentation(o), esmModules: ['@langchain/core', MANAGER_ESM_URL, PREBUILT_ESM_URL] },
];

export {
  AgentOpsInstrumentation,
  AiSdkInstrumentation,
  AnthropicInstrumentation,
  BedrockInstrumentation,
  GoogleGenAIInstrumentation,
  LangChainInstrumentation,
  McpInstrumentation,
  McpV2Instrumentation,
  OpenAIAgentsInstrumentation,
  OpenAIInstrumentation,
};
