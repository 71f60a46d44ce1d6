/** The client's warnings go through the library logger (it has no tracing of its own). */
export { logger as clientLog } from '../shared/logger';
