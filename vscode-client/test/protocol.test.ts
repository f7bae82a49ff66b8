import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptedLengthOf, EventDeduper, suggestionIdOf } from '../src/protocol';

test('suggestionIdOf reads the id of a tact.accept command', () => {
    assert.equal(suggestionIdOf({ command: 'tact.accept', arguments: ['s-42'] }), 's-42');
});

test('suggestionIdOf ignores other commands, missing or non-string ids', () => {
    assert.equal(suggestionIdOf({ command: 'other.accept', arguments: ['s-42'] }), undefined);
    assert.equal(suggestionIdOf({ command: 'tact.accept' }), undefined);
    assert.equal(suggestionIdOf({ command: 'tact.accept', arguments: [42] }), undefined);
    assert.equal(suggestionIdOf({ command: 'tact.accept', arguments: [''] }), undefined);
    assert.equal(suggestionIdOf(undefined), undefined);
    assert.equal(suggestionIdOf('tact.accept'), undefined);
});

test('acceptedLengthOf takes both partial-accept signatures', () => {
    assert.equal(acceptedLengthOf(7), 7);
    assert.equal(acceptedLengthOf({ kind: 0, acceptedLength: 12 }), 12);
    assert.equal(acceptedLengthOf(-1), undefined);
    assert.equal(acceptedLengthOf(Number.NaN), undefined);
    assert.equal(acceptedLengthOf({ kind: 0 }), undefined);
    assert.equal(acceptedLengthOf('3'), undefined);
});

test('EventDeduper reports each show once and each new partial length once', () => {
    const d = new EventDeduper();
    assert.equal(d.firstShow('a'), true);
    assert.equal(d.firstShow('a'), false);
    assert.equal(d.firstShow('b'), true);
    // VS Code 1.100 calls the partial hook twice per accept (number, then info object).
    assert.equal(d.newPartial('a', 4), true);
    assert.equal(d.newPartial('a', 4), false);
    assert.equal(d.newPartial('a', 9), true);
    assert.equal(d.newPartial('b', 4), true);
});

test('EventDeduper forgets the oldest ids beyond its capacity', () => {
    const d = new EventDeduper(2);
    d.firstShow('a');
    d.firstShow('b');
    d.firstShow('c');
    assert.equal(d.firstShow('c'), false);
    assert.equal(d.firstShow('a'), true, 'a was evicted, so it counts as new again');
});
