// Simulated clients: each runs one request at a time (put, get, cas, delete on a
// few keys, values unique per write), records the history the checker reads,
// and gives up on a request after a timeout (outcome unknown).

import type { Operation, OperationKind } from '../../src/check/index.js';
import { assert } from '../../src/util/assert.js';
import type { Prng } from '../../src/util/prng.js';

export interface ClientRequest {
  readonly requestId: string;
  readonly clientId: number;
  readonly kind: OperationKind;
  readonly key: string;
  readonly value?: string;
  readonly expected?: string | null;
}

interface Recorded {
  readonly request: ClientRequest;
  readonly invokedAt: number;
  completedAt: number | undefined;
  outcome: Operation['outcome'] | 'pending';
  readValue?: string | null;
  success?: boolean;
}

interface ClientState {
  readonly clientId: number;
  sequence: number;
  waitingOn: string | null;
  deadline: number;
  /** The last value this client saw per key: cas expects it. */
  readonly lastSeen: Map<string, string | null>;
}

export interface WorkloadStats {
  ok: number;
  failed: number;
  unknown: number;
}

export class Workload {
  private readonly clients: ClientState[] = [];
  private readonly recorded = new Map<string, Recorded>();
  private readonly order: string[] = [];
  readonly stats: WorkloadStats = { ok: 0, failed: 0, unknown: 0 };

  constructor(
    private readonly prng: Prng,
    clientCount: number,
    private readonly keyCount: number,
    private readonly timeoutTicks: number,
    private readonly issueProbability: number,
  ) {
    for (let clientId = 0; clientId < clientCount; clientId++) {
      this.clients.push({
        clientId,
        sequence: 0,
        waitingOn: null,
        deadline: 0,
        lastSeen: new Map(),
      });
    }
  }

  /** Requests idle clients decide to send now; each is recorded as invoked at `now`. */
  issue(now: number): ClientRequest[] {
    const requests: ClientRequest[] = [];
    for (const client of this.clients) {
      if (client.waitingOn !== null || !this.prng.chance(this.issueProbability)) continue;
      client.sequence++;
      const requestId = `c${client.clientId}-${client.sequence}`;
      const key = `k${this.prng.nextIntegerInclusive(0, this.keyCount - 1)}`;
      const roll = this.prng.nextFloat();
      let request: ClientRequest;
      if (roll < 0.35) request = { requestId, clientId: client.clientId, kind: 'get', key };
      else if (roll < 0.7)
        request = { requestId, clientId: client.clientId, kind: 'put', key, value: requestId };
      else if (roll < 0.93)
        request = {
          requestId,
          clientId: client.clientId,
          kind: 'cas',
          key,
          value: requestId,
          expected: client.lastSeen.get(key) ?? null,
        };
      else request = { requestId, clientId: client.clientId, kind: 'delete', key };
      client.waitingOn = requestId;
      client.deadline = now + this.timeoutTicks;
      this.recorded.set(requestId, {
        request,
        invokedAt: now,
        completedAt: undefined,
        outcome: 'pending',
      });
      this.order.push(requestId);
      requests.push(request);
    }
    return requests;
  }

  /** The request definitely had no effect (refused before anything was written). */
  failed(requestId: string, now: number): void {
    this.finish(requestId, now, 'failed');
  }

  /** The client lost track of it (timeout, connection reset): it may or may not take effect. */
  unknown(requestId: string, now: number): void {
    this.finish(requestId, now, 'unknown');
  }

  writeApplied(requestId: string, success: boolean, now: number): void {
    const record = this.finish(requestId, now, 'ok');
    if (record === null) return;
    record.success = success;
    const { request } = record;
    const client = this.clients[request.clientId] as ClientState;
    if (request.kind === 'delete') client.lastSeen.set(request.key, null);
    else if (request.kind === 'put' || success)
      client.lastSeen.set(request.key, request.value ?? null);
  }

  readAnswered(requestId: string, value: string | null, now: number): void {
    const record = this.finish(requestId, now, 'ok');
    if (record === null) return;
    record.readValue = value;
    (this.clients[record.request.clientId] as ClientState).lastSeen.set(record.request.key, value);
  }

  /** Requests whose client gave up at `now`. */
  expire(now: number): string[] {
    const expired: string[] = [];
    for (const client of this.clients) {
      if (client.waitingOn !== null && client.deadline <= now) {
        expired.push(client.waitingOn);
        this.unknown(client.waitingOn, now);
      }
    }
    return expired;
  }

  allIdle(): boolean {
    return this.clients.every((client) => client.waitingOn === null);
  }

  isWaitingOn(requestId: string): boolean {
    return this.recorded.get(requestId)?.outcome === 'pending';
  }

  private finish(requestId: string, now: number, outcome: Operation['outcome']): Recorded | null {
    const record = this.recorded.get(requestId);
    // A late answer to a request the client gave up on changes nothing.
    if (record === undefined || record.outcome !== 'pending') return null;
    record.outcome = outcome;
    record.completedAt = outcome === 'unknown' ? undefined : now;
    this.stats[outcome]++;
    const client = this.clients[record.request.clientId] as ClientState;
    assert(client.waitingOn === requestId, 'a client waits on one request');
    client.waitingOn = null;
    return record;
  }

  /** The history for the checker; requests still pending count as unknown. */
  operations(): Operation[] {
    return this.order.map((requestId) => {
      const record = this.recorded.get(requestId) as Recorded;
      const { request } = record;
      const outcome = record.outcome === 'pending' ? 'unknown' : record.outcome;
      return {
        clientId: request.clientId,
        kind: request.kind,
        key: request.key,
        input: { value: request.value, expected: request.expected },
        invokedAt: record.invokedAt,
        completedAt: record.completedAt,
        outcome,
        output: { value: record.readValue, success: record.success },
      };
    });
  }
}
