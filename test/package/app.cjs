// CommonJS app: the client API through require('agentops-otel').
'use strict';
const ao = require('agentops-otel');
require('./scenario.cjs')(ao, 'cjs').catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
