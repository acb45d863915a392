// What the HTTP servers need from a node: the client API of DESIGN.md section 6 in
// typed form. The server parses and formats; the node decides. Keeping this seam
// explicit lets the server be tested without Raft and the node without HTTP.

import type { Readable } from 'node:stream';

export type ReadConsistency = 'linearizable' | 'serializable';

export interface ObjectInfo {
  readonly key: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
}

export interface PutObjectOptions {
  /** Declared body length (content-length), when the client knows it. */
  readonly sizeBytes?: number;
  readonly ifVersion?: number;
  readonly ifAbsent?: boolean;
  /** Retries of one logical put share a request id, so it applies at most once. */
  readonly requestId?: string;
}

export interface DeleteObjectOptions {
  readonly ifVersion?: number;
  readonly requestId?: string;
}

export interface ListObjectsRequest {
  readonly prefix: string;
  readonly after: string;
  readonly limit: number;
  readonly consistency: ReadConsistency;
}

export interface ListObjectsPage {
  readonly items: readonly ObjectInfo[];
  readonly nextAfter: string | null;
}

export interface MemberAddressing {
  readonly id: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  readonly zone: string;
  readonly weight: number;
}

export interface NodeInfo extends MemberAddressing {
  readonly clusterId: string | null;
  readonly version: string;
}

export interface LeaderHint {
  readonly leaderId: string | null;
  readonly leaderClientAddress: string | null;
}

export interface NodeApi {
  info(): NodeInfo;
  /** Where writes must go; null leader when none is known (an election is running). */
  leader(): LeaderHint;
  isLeader(): boolean;
  putObject(key: string, body: Readable, options: PutObjectOptions): Promise<ObjectInfo>;
  getObject(
    key: string,
    consistency: ReadConsistency,
  ): Promise<{ info: ObjectInfo; body: Readable }>;
  headObject(key: string, consistency: ReadConsistency): Promise<ObjectInfo>;
  deleteObject(
    key: string,
    options: DeleteObjectOptions,
  ): Promise<{ key: string; version: number }>;
  listObjects(request: ListObjectsRequest): Promise<ListObjectsPage>;
  /** Admin endpoints under /v1/cluster/... and /v1/node/...: JSON in, JSON out. */
  admin(method: string, path: string, body: unknown): Promise<unknown>;
  /** Liveness and readiness for /health and /ready. */
  health(): { readonly ok: boolean; readonly ready: boolean; readonly reason: string };
  metricsText(): string;
}
