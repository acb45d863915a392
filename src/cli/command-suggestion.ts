// What to tell a user who typed a command cairn does not have. oclif joins the words
// it could not match into one id ("lock deploy" -> "lock:deploy"); the user typed
// the first word that names no command or topic, so that is the one to name, with the
// closest known command when one is close enough to be a typo.

import { assert } from '../util/assert.js';

// Longer words are no typo of a command: no distance is computed for them.
const wordCharactersMax = 64;

/**
 * The optimal string alignment distance: insertions, deletions, substitutions and
 * swaps of two neighbours ("stauts" -> "status" is 1). Iterative, O(a * b).
 */
export function editDistance(left: string, right: string): number {
  assert(left.length <= wordCharactersMax && right.length <= wordCharactersMax, 'short words');
  const rows: number[][] = [];
  for (let i = 0; i <= left.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= right.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const previous = rows[i - 1] as number[];
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && left[i - 1] === right[j - 2] && left[i - 2] === right[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[left.length] as number[])[right.length] as number;
}

/** The words of the joined id up to the first that is no command and starts none. */
export function unknownWords(joinedId: string, knownIds: readonly string[]): string {
  const words = joinedId.split(':');
  for (let count = 1; count <= words.length; count++) {
    const prefix = words.slice(0, count).join(':');
    const known = knownIds.some((id) => id === prefix || id.startsWith(`${prefix}:`));
    if (!known) return words.slice(0, count).join(' ');
  }
  return words.join(' ');
}

/** The closest known command, if it is within a typo of `typed` (at most 2 edits). */
export function closestCommand(typed: string, knownIds: readonly string[]): string | undefined {
  if (typed.length === 0 || typed.length > wordCharactersMax) return undefined;
  const allowed = Math.min(2, Math.max(1, Math.floor(typed.length / 3)));
  let best: { id: string; distance: number } | undefined;
  for (const id of knownIds) {
    const words = id.split(':').join(' ');
    if (words.length > wordCharactersMax) continue;
    const distance = editDistance(typed, words);
    if (distance <= allowed && (best === undefined || distance < best.distance))
      best = { id: words, distance };
  }
  return best?.id;
}
