// Wing & Gong's linearizability search with Lowe's memoisation (the algorithm of
// Porcupine), for the operations of ONE key against the register model.
//
// The history becomes a doubly linked list of call and return events in time
// order. The search walks the list: at a call it tries to linearize that
// operation now (legal in the model, and the pair (set of linearized operations,
// model state) not seen before), lifting the call and its return out of the
// list; at a return whose operation is not yet linearized it backtracks. An
// explicit stack replaces recursion. Every operation of unknown outcome has its
// return at +infinity; once every definite operation is linearized, the unknown
// ones that remain can all come last with no observable effect, so the search
// succeeds there.

import { assert } from '../util/assert.js';
import { Prng } from '../util/prng.js';
import type { Operation } from './history.js';
import { stepRegister, type RegisterState } from './register-model.js';

interface ListNode {
  readonly call: boolean;
  readonly operationIndex: number;
  /** For a call node, its return node. */
  match: ListNode | null;
  previous: ListNode | null;
  next: ListNode | null;
}

export type SearchOutcome =
  | { readonly kind: 'linearizable'; readonly statesExplored: number }
  | {
      readonly kind: 'violation';
      readonly statesExplored: number;
      readonly longestPrefix: readonly number[];
    }
  | { readonly kind: 'limit'; readonly statesExplored: number };

interface Frame {
  readonly node: ListNode;
  readonly stateBefore: RegisterState;
}

/** Operations must be of one key, without failed operations nor unknown gets. */
export function searchLinearization(
  operations: readonly Operation[],
  statesMax: number,
): SearchOutcome {
  assert(statesMax > 0, 'statesMax is positive');
  const head = buildEventList(operations);
  const linearized = new Uint32Array(Math.ceil(operations.length / 32) + 1);
  const seen = new MemoSet(operations.length);
  const stack: Frame[] = [];
  let definiteRemaining = operations.filter((operation) => operation.outcome === 'ok').length;
  let state: RegisterState = null;
  let node = head.next;
  let statesExplored = 0;
  let longestPrefix: number[] = [];
  while (definiteRemaining > 0) {
    // A definite operation still in the list has its return before any +infinity.
    assert(node !== null, 'the walk reaches a return before the end of the list');
    const operation = operations[node.operationIndex] as Operation;
    if (node.call) {
      const step = stepRegister(state, operation);
      if (step.legal) {
        setBit(linearized, node.operationIndex);
        seen.toggle(node.operationIndex);
        if (seen.addIfNew(linearized, step.next)) {
          statesExplored++;
          if (statesExplored > statesMax) return { kind: 'limit', statesExplored };
          stack.push({ node, stateBefore: state });
          state = step.next;
          if (operation.outcome === 'ok') definiteRemaining--;
          lift(node);
          if (stack.length > longestPrefix.length)
            longestPrefix = stack.map((frame) => frame.node.operationIndex);
          node = head.next;
          continue;
        }
        clearBit(linearized, node.operationIndex);
        seen.toggle(node.operationIndex);
      }
      node = node.next;
      continue;
    }
    // A return whose operation is not linearized: undo the last choice.
    const frame = stack.pop();
    if (frame === undefined) return { kind: 'violation', statesExplored, longestPrefix };
    const undone = operations[frame.node.operationIndex] as Operation;
    clearBit(linearized, frame.node.operationIndex);
    seen.toggle(frame.node.operationIndex);
    if (undone.outcome === 'ok') definiteRemaining++;
    state = frame.stateBefore;
    unlift(frame.node);
    node = frame.node.next;
  }
  return { kind: 'linearizable', statesExplored };
}

function buildEventList(operations: readonly Operation[]): ListNode {
  interface Event {
    readonly time: number;
    readonly call: boolean;
    readonly operationIndex: number;
  }
  const events: Event[] = [];
  operations.forEach((operation, operationIndex) => {
    const completedAt =
      operation.outcome === 'ok' ? (operation.completedAt as number) : Number.POSITIVE_INFINITY;
    assert(completedAt >= operation.invokedAt, 'an operation completes after its invocation');
    events.push({ time: operation.invokedAt, call: true, operationIndex });
    events.push({ time: completedAt, call: false, operationIndex });
  });
  // At equal times calls come first: intervals are closed, so operations that
  // touch at one instant count as concurrent (the permissive reading of a clock
  // with coarse resolution, such as simulator ticks).
  events.sort(
    (a, b) =>
      a.time - b.time ||
      (a.call === b.call ? 0 : a.call ? -1 : 1) ||
      a.operationIndex - b.operationIndex,
  );
  const head: ListNode = {
    call: false,
    operationIndex: -1,
    match: null,
    previous: null,
    next: null,
  };
  const callNodes: (ListNode | undefined)[] = new Array(operations.length);
  let tail = head;
  for (const event of events) {
    const node: ListNode = {
      call: event.call,
      operationIndex: event.operationIndex,
      match: null,
      previous: tail,
      next: null,
    };
    tail.next = node;
    tail = node;
    if (event.call) {
      callNodes[event.operationIndex] = node;
    } else {
      const callNode = callNodes[event.operationIndex];
      assert(callNode !== undefined, 'a return follows its call');
      callNode.match = node;
    }
  }
  return head;
}

function lift(callNode: ListNode): void {
  const returnNode = callNode.match;
  assert(
    returnNode !== null && callNode.previous !== null && callNode.next !== null,
    'lift a call that is in the list',
  );
  callNode.previous.next = callNode.next;
  callNode.next.previous = callNode.previous;
  assert(returnNode.previous !== null, 'the return node is in the list');
  returnNode.previous.next = returnNode.next;
  if (returnNode.next !== null) returnNode.next.previous = returnNode.previous;
}

function unlift(callNode: ListNode): void {
  const returnNode = callNode.match;
  assert(
    returnNode !== null && callNode.previous !== null && callNode.next !== null,
    'unlift a lifted call',
  );
  assert(returnNode.previous !== null, 'the return node keeps its neighbours while lifted');
  returnNode.previous.next = returnNode;
  if (returnNode.next !== null) returnNode.next.previous = returnNode;
  callNode.previous.next = callNode;
  callNode.next.previous = callNode;
}

function setBit(bits: Uint32Array, index: number): void {
  const word = index >>> 5;
  bits[word] = ((bits[word] as number) | (1 << (index & 31))) >>> 0;
}

function clearBit(bits: Uint32Array, index: number): void {
  const word = index >>> 5;
  bits[word] = ((bits[word] as number) & ~(1 << (index & 31))) >>> 0;
}

/**
 * The memo of (linearized set, state) pairs already explored. Keyed by a
 * Zobrist hash (XOR of a random 53-bit code per linearized operation, kept up to
 * date as bits flip, plus a code per state), so a lookup costs no string
 * building; entries in a bucket are compared exactly, so a collision only costs
 * time.
 */
class MemoSet {
  private readonly codesLow: Uint32Array;
  private readonly codesHigh: Uint32Array;
  private readonly stateCodes = new Map<RegisterState, number>();
  private readonly prng = new Prng(0x5eed);
  private readonly buckets = new Map<number, { bits: Uint32Array; state: RegisterState }[]>();
  private low = 0;
  private high = 0;

  constructor(operationCount: number) {
    this.codesLow = new Uint32Array(operationCount);
    this.codesHigh = new Uint32Array(operationCount);
    for (let index = 0; index < operationCount; index++) {
      this.codesLow[index] = this.prng.nextUint32();
      this.codesHigh[index] = this.prng.nextUint32() & 0x1f_ffff;
    }
  }

  /** The operation's bit flipped in the linearized set. */
  toggle(operationIndex: number): void {
    this.low = (this.low ^ (this.codesLow[operationIndex] as number)) >>> 0;
    this.high = (this.high ^ (this.codesHigh[operationIndex] as number)) >>> 0;
  }

  /** Records (bits, state); false when it was already there. */
  addIfNew(bits: Uint32Array, state: RegisterState): boolean {
    let stateCode = this.stateCodes.get(state);
    if (stateCode === undefined) {
      stateCode = this.prng.nextUint32();
      this.stateCodes.set(state, stateCode);
    }
    const key = this.high * 0x1_0000_0000 + ((this.low ^ stateCode) >>> 0);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.buckets.set(key, [{ bits: bits.slice(), state }]);
      return true;
    }
    for (const entry of bucket)
      if (entry.state === state && sameBits(entry.bits, bits)) return false;
    bucket.push({ bits: bits.slice(), state });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
