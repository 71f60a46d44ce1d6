/** Names specific to the LangChain.js instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-langchain';
export const MODULE_NAME = '@langchain/core';
/** The callback manager: its CommonJS and ESM builds (each is patched once). */
export const MANAGER_FILES = ['dist/callbacks/manager.cjs', 'dist/callbacks/manager.js'];
/** How the ESM hook finds the manager: @langchain/core imports it by relative path. */
export const MANAGER_ESM_URL = /\/node_modules\/@langchain\/core\/dist\/callbacks\/manager\.js$/;
/** LangGraph.js: its prebuilt entry point (CommonJS and ESM builds), where `createReactAgent` is wrapped. */
export const LANGGRAPH_MODULE = '@langchain/langgraph';
export const PREBUILT_FILES = ['dist/prebuilt/index.cjs', 'dist/prebuilt/index.js'];
export const PREBUILT_ESM_URL = /\/node_modules\/@langchain\/langgraph\/dist\/prebuilt\/index\.js$/;
/** LangGraph.js majors whose `createReactAgent` is wrapped (tested with 1.7). */
export const LANGGRAPH_SUPPORTED_MAJORS = [1] as const;
/** Majors whose runs are traced (tested with 1.x). */
export const SUPPORTED_MAJORS = [1] as const;
/** The name of our callback handler: LangChain keeps one handler per name in a manager. */
export const HANDLER_NAME = 'agentops_otel_handler';

/** `agentops.span.kind` of a chain run's span (a retriever's too). */
export const SPAN_KIND_CHAIN = 'langchain.chain';
export const ATTR_RUN_ID = 'agentops.langchain.run_id';
export const ATTR_RUN_TYPE = 'agentops.langchain.run_type';
/** LangChain marks runs of its own plumbing (graph entry nodes, ...) with this tag. */
export const HIDDEN_TAG = 'langsmith:hidden';
/** `createAgent` (the `langchain` package) puts these in the metadata of its runs. */
export const AGENT_INTEGRATION = 'langchain_create_agent';
