// ESM entry of the preload (`node --import agentops-otel/register`). The CommonJS preload does
// the work, so that `--require` and `--import` share one module instance and set up once.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('./dist/register.js');
