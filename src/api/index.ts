export * from './route.js';
export * from './routes.js';
export * from './validate.js';
export type * from './wire.js';
export * from './txn-body.js';
