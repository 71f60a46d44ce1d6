/**
 * agentops-otel: the AgentOps client API. Tracing is added by the preload
 * (`node --require agentops-otel/register`), not by this module.
 */
export * from './client';
