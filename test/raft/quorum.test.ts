import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { committedIndex, hasQuorum, majoritySize, voteResult } from '../../src/raft/quorum.js';

test('majoritySize', () => {
  const table: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [6, 4],
    [7, 4],
  ];
  for (const [voters, majority] of table)
    assert.is(majoritySize(voters), majority, `voters ${voters}`);
});

test('committedIndex is the highest index a majority matched', () => {
  const table: { matches: number[]; expected: number }[] = [
    { matches: [5], expected: 5 },
    { matches: [5, 3], expected: 3 },
    { matches: [1, 2, 3], expected: 2 },
    { matches: [3, 2, 1], expected: 2 },
    { matches: [7, 7, 0], expected: 7 },
    { matches: [0, 0, 9], expected: 0 },
    { matches: [1, 2, 3, 4], expected: 2 },
    { matches: [10, 9, 8, 1, 1], expected: 8 },
    { matches: [10, 1, 1, 1, 9], expected: 1 },
  ];
  for (const { matches, expected } of table) {
    const voters = matches.map((_, i) => `n${i}`);
    assert.is(
      committedIndex(voters, (id) => matches[Number(id.slice(1))] ?? 0),
      expected,
      `matches ${matches.join(',')}`,
    );
  }
});

test('committedIndex ignores non-voters', () => {
  const matches = new Map([
    ['a', 5],
    ['b', 5],
    ['learner', 100],
  ]);
  assert.is(
    committedIndex(['a', 'b'], (id) => matches.get(id) ?? 0),
    5,
  );
  assert.is(
    committedIndex(['a', 'b', 'c'], (id) => matches.get(id) ?? 0),
    5,
  );
  assert.is(
    committedIndex(['a', 'c', 'd'], (id) => matches.get(id) ?? 0),
    0,
  );
});

test('voteResult', () => {
  const table: { voters: string[]; votes: [string, boolean][]; expected: string }[] = [
    { voters: ['a'], votes: [], expected: 'pending' },
    { voters: ['a'], votes: [['a', true]], expected: 'won' },
    { voters: ['a'], votes: [['a', false]], expected: 'lost' },
    { voters: ['a', 'b', 'c'], votes: [['a', true]], expected: 'pending' },
    {
      voters: ['a', 'b', 'c'],
      votes: [
        ['a', true],
        ['b', true],
      ],
      expected: 'won',
    },
    {
      voters: ['a', 'b', 'c'],
      votes: [
        ['a', true],
        ['b', false],
      ],
      expected: 'pending',
    },
    {
      voters: ['a', 'b', 'c'],
      votes: [
        ['a', true],
        ['b', false],
        ['c', false],
      ],
      expected: 'lost',
    },
    {
      voters: ['a', 'b', 'c', 'd'],
      votes: [
        ['a', true],
        ['b', true],
      ],
      expected: 'pending',
    },
    {
      voters: ['a', 'b', 'c', 'd'],
      votes: [
        ['a', true],
        ['b', false],
        ['c', false],
      ],
      expected: 'lost',
    },
    {
      voters: ['a', 'b', 'c'],
      votes: [
        ['a', true],
        ['x', true],
        ['y', true],
      ],
      expected: 'pending',
    },
  ];
  for (const { voters, votes, expected } of table) {
    assert.is(voteResult(voters, new Map(votes)), expected, JSON.stringify({ voters, votes }));
  }
});

test('hasQuorum', () => {
  assert.ok(hasQuorum(['a', 'b', 'c'], (id) => id !== 'c'));
  assert.not.ok(hasQuorum(['a', 'b', 'c'], (id) => id === 'a'));
  assert.not.ok(hasQuorum(['a', 'b', 'c', 'd'], (id) => id === 'a' || id === 'b'));
});

test('empty voter sets are a bug', () => {
  assert.throws(() => committedIndex([], () => 0), /voters/);
  assert.throws(() => voteResult([], new Map()), /voters/);
});

test.run();
