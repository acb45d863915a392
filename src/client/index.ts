// The client library every command uses (API.md is the HTTP contract it speaks).
export {
  CairnClient,
  type CairnClientOptions,
  type DeleteObjectOptions,
  type GetObjectOptions,
  type GetObjectResult,
  type GetObjectStreamOptions,
  type JsonMethod,
  type ListObjectsOptions,
  type PutObjectOptions,
  type RequestOptions,
  type TxnOptions,
} from './client.js';
export { type Endpoint, parseEndpoint, parseEndpoints } from './endpoints.js';
export {
  type Consistency,
  type DeleteResult,
  type ObjectListPage,
  type ObjectMetadata,
  validateKey,
} from './messages.js';
export {
  type BackoffOptions,
  type BalancingPolicy,
  balancingPolicies,
  backoffDelayMilliseconds,
} from './policy.js';
export type { ObjectBody } from './request-body.js';
export type { Outcome } from './response-errors.js';
export { watchItems } from './watch.js';
export type { WatchItem, WatchOpener, WatchOptions } from './watch.js';
export { type AcquireOptions, CoordinationClient } from './coordination.js';
export { AuthClient } from './auth.js';
