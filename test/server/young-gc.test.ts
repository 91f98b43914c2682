/**
 * The server's young-generation collection between answers (server/node/young-gc.ts): it collects only when the
 * young generation is full enough to be worth it, and then empties it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectYoungIfWorthIt, youngFill } from '../../server/node/young-gc';

/** Allocates short-lived objects until the young generation is at least `share` full (V8 may collect meanwhile). */
function fillYoung(share: number): number {
  let sink: unknown[] = [];
  for (let i = 0; i < 1_000_000 && youngFill() < share; i++) {
    sink = [];
    for (let j = 0; j < 100; j++) sink.push({ i, j, s: `x${j}` });
  }
  return sink.length;
}

test('a young generation more than half full is collected, and little of it survives', () => {
  fillYoung(0.6);
  assert.ok(youngFill() >= 0.6, `filled to ${youngFill()}`);
  assert.equal(collectYoungIfWorthIt(), true);
  assert.ok(youngFill() < 0.5, `after the collection ${youngFill()}`);
});

test('right after a collection there is nothing worth collecting', () => {
  fillYoung(0.6);
  collectYoungIfWorthIt();
  assert.equal(collectYoungIfWorthIt(), false);
});
