// Runs every corpus case (test/http/corpus) through the parser whole, split
// in two at every offset (or at random offsets for big cases), and byte by
// byte: the events must not depend on how the bytes arrived.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadCorpus, normalize, parseAll } from './corpus';
import { Prng } from './prng';

const corpus = loadCorpus();
const EVERY_OFFSET_UP_TO = 4096;

test('the corpus has its cases', () => {
  assert.ok(corpus.length >= 100, `only ${corpus.length} cases`);
});

for (const c of corpus) {
  test(`corpus ${c.name}: parses as expected whole, split anywhere and byte by byte`, () => {
    const n = c.raw.length;
    const check = (cuts: readonly number[], how: string): void => {
      assert.deepEqual(normalize(parseAll(c.raw, cuts), c.expected), c.expected, `${c.name} ${how}`);
    };
    check([], 'whole');
    if (n <= EVERY_OFFSET_UP_TO) {
      for (let k = 1; k < n; k++) check([k], `split at ${k}`);
    } else {
      const rnd = new Prng(n);
      for (let i = 0; i < 64; i++) check([1 + rnd.int(n - 1)], 'split at a random offset');
      check(rnd.cuts(n, 200), 'split at 200 random offsets');
    }
    check(Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1), 'byte by byte');
  });
}
