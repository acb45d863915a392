// Validators for query strings and JSON bodies: each takes what arrived (unknown) and
// returns the typed value or throws InvalidArgumentError naming the field. Handlers
// receive only what a validator returned, so no body is parsed inside src/node.

import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { MemberAddressing } from './wire.js';

export type Validator<T> = (value: unknown) => T;

/** A query string as the server sees it: each name's first value. */
export type QueryValues = Readonly<Record<string, string | undefined>>;

const sha256Pattern = /^[0-9a-f]{64}$/;

export function isChunkId(value: unknown): value is string {
  return typeof value === 'string' && sha256Pattern.test(value);
}

/** A JSON body must be an object (an empty body reads as {}). */
export function fields(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

export function optionalInteger(
  value: unknown,
  name: string,
  minimum: number,
  maximum: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < minimum ||
    value > maximum
  )
    throw new InvalidArgumentError(
      `${name} must be an integer in [${minimum}, ${maximum}], got ${String(value)}`,
    );
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${name} must be true or false`);
  return value;
}

export function requiredString(value: unknown, message: string): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(message);
  return value;
}

/** A query parameter that must be an integer in [minimum, maximum] when present. */
export function queryInteger(
  text: string | undefined,
  name: string,
  fallback: number,
  minimum: number,
  maximum: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < minimum || value > maximum)
    throw new InvalidArgumentError(
      `${name} must be an integer in [${minimum}, ${maximum}], got "${text}"`,
    );
  return value;
}

export function memberList(value: unknown): MemberAddressing[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > limits.raftMembersMax)
    throw new InvalidArgumentError('members must be a non-empty list');
  return value.map((item: unknown) => {
    const member = (item ?? {}) as Partial<MemberAddressing>;
    if (
      typeof member.id !== 'string' ||
      typeof member.clientAddress !== 'string' ||
      typeof member.peerAddress !== 'string' ||
      typeof member.zone !== 'string' ||
      typeof member.weight !== 'number'
    ) {
      throw new InvalidArgumentError(
        'each member needs id, clientAddress, peerAddress, zone and weight',
      );
    }
    return {
      id: member.id,
      clientAddress: member.clientAddress,
      peerAddress: member.peerAddress,
      zone: member.zone,
      weight: member.weight,
    };
  });
}

export function chunkIdList(value: unknown, countMax: number): string[] {
  if (!Array.isArray(value) || value.length > countMax || !value.every(isChunkId))
    throw new InvalidArgumentError(`sha256s must be a list of at most ${countMax} chunk ids`);
  return value as string[];
}

export function consistency(text: string | undefined): 'linearizable' | 'serializable' {
  const value = text ?? 'linearizable';
  if (value !== 'linearizable' && value !== 'serializable')
    throw new InvalidArgumentError(
      `consistency must be linearizable or serializable, got "${value}"`,
    );
  return value;
}

/** A header that must be a non-negative integer when present. */
export function integerHeader(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed))
    throw new InvalidArgumentError(`header ${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}
