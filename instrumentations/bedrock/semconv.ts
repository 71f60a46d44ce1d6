/**
 * Names specific to the Bedrock instrumentation (the GenAI ones it shares are in ../shared/semconv.ts).
 * The AWS attributes below are defined by OpenTelemetry but exported only from
 * `@opentelemetry/semantic-conventions/incubating`, which that package advises instrumentations to
 * copy rather than import (it breaks in minor releases).
 */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-aws-bedrock';
export const MODULE_NAME = '@aws-sdk/client-bedrock-runtime';
/** Every v3 release: `send(command)` and the four commands' shapes are the service's API. */
export const SUPPORTED_VERSIONS = ['>=3.0.0 <4'];

export const PROVIDER_AWS_BEDROCK = 'aws.bedrock';
export const OPERATION_TEXT_COMPLETION = 'text_completion';

/** Seconds from the request to the first stream event. */
export const ATTR_AWS_REQUEST_ID = 'aws.request.id';
export const ATTR_AWS_BEDROCK_GUARDRAIL_ID = 'aws.bedrock.guardrail.id';

export const CONVERSE = 'ConverseCommand';
export const CONVERSE_STREAM = 'ConverseStreamCommand';
export const INVOKE_MODEL = 'InvokeModelCommand';
export const INVOKE_MODEL_STREAM = 'InvokeModelWithResponseStreamCommand';
export const COMMANDS = [CONVERSE, CONVERSE_STREAM, INVOKE_MODEL, INVOKE_MODEL_STREAM] as const;
export type CommandName = (typeof COMMANDS)[number];
