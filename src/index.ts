/**
 * agentops-otel: the AgentOps client API. Tracing is added by the preload
 * (`node --require agentops-otel/register`), not by this module.
 */
export {
  init,
  getClient,
  startSession,
  record,
  endAllSessions,
  Client,
  type ClientOptions,
  Session,
  END_STATES,
  type EndState,
  type EventCounts,
  type SessionOptions,
  Agent,
  type AgentOptions,
  Event,
  EventType,
  LLMEvent,
  ActionEvent,
  ToolEvent,
  ErrorEvent,
  type EventInit,
  type LLMEventInit,
  type ActionEventInit,
  type ToolEventInit,
  type ErrorEventInit,
  type EventAttributeValue,
  type TimestampInput,
} from './client';
