// Field rules shared by the families' command validators (state is never consulted).

import { limits } from '../util/limits.js';

// Member ids and zones follow the placement ring's identifier rule.
const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const addressPattern = /^[\x21-\x7e]+$/;

export function identifierProblem(
  value: string,
  field: string,
  lengthMax: number = limits.placementIdentifierBytesMax,
): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > lengthMax ||
    !identifierPattern.test(value)
  ) {
    return `${field} must be 1 to ${lengthMax} characters of A-Z a-z 0-9 . _ : - starting with a letter or digit, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

export function addressProblem(value: string, field: string): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > limits.metaAddressBytesMax ||
    !addressPattern.test(value)
  ) {
    return `${field} must be 1 to ${limits.metaAddressBytesMax} printable ASCII characters without spaces, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

export function weightProblem(weight: number): string | undefined {
  if (
    typeof weight !== 'number' ||
    !Number.isFinite(weight) ||
    weight <= 0 ||
    weight > limits.placementWeightMax
  ) {
    return `weight must be a number in (0, ${limits.placementWeightMax}], got ${String(weight)}`;
  }
  return undefined;
}

export function integerProblem(
  value: number,
  field: string,
  minimum: number,
  maximum: number,
): string | undefined {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    return `${field} must be an integer in [${minimum}, ${maximum}], got ${String(value)}`;
  }
  return undefined;
}
