import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLIENT_ONLY_KEYS, DEFAULTS, toServerSettings } from '../src/settings';

const from = (values: Record<string, unknown>) => toServerSettings((key) => values[key]);

test('no settings -> the protocol defaults, telemetry url left to the server', () => {
    const s = from({});
    assert.deepEqual(s, DEFAULTS);
    assert.equal('url' in s.telemetry, false);
    assert.equal(s.gate.modelPath, null);
});

test('settings map onto the nested camel-case protocol object', () => {
    const s = from({
        'enable': false,
        'engine': 'embedded',
        'completion.maxLines': 5,
        'telemetry.url': 'sqlite:////tmp/t.db',
        'telemetry.storeText': true,
        'gate.mode': 'maxAcceptedHidden',
        'gate.maxAcceptedHiddenPercent': 2.5,
        'gate.benefit': 2,
        'gate.cost': 0.5,
        'gate.modelPath': '/models/gate',
        'fixes.allowExecution': true,
        'fixes.precision': 'strict',
        'fixes.memoryMB': 1024,
    });
    assert.equal(s.enable, false);
    assert.equal(s.completion.maxLines, 5);
    assert.equal(s.completion.rejectTimeoutMs, 15000);
    assert.deepEqual(s.telemetry, { url: 'sqlite:////tmp/t.db', storeText: true });
    assert.equal(s.gate.mode, 'maxAcceptedHidden');
    assert.equal(s.gate.maxAcceptedHiddenPercent, 2.5);
    assert.equal(s.gate.benefit, 2);
    assert.equal(s.gate.cost, 0.5);
    assert.equal(s.gate.modelPath, '/models/gate');
    assert.equal(s.fixes.allowExecution, true);
    assert.equal(s.fixes.precision, 'strict');
    assert.equal(s.fixes.memoryMB, 1024);
});

test('wrongly typed or out-of-range values fall back to the defaults', () => {
    const s = from({
        'enable': 'yes',
        'completion.maxLines': 0,
        'gate.mode': 'always',
        'gate.exploration': 3,
        'gate.cost': -1,
        'fixes.precision': 'sloppy',
        'telemetry.url': '   ',
    });
    assert.equal(s.enable, true);
    assert.equal(s.completion.maxLines, 3);
    assert.equal(s.gate.mode, 'utility');
    assert.equal(s.gate.exploration, 0.05);
    assert.equal(s.gate.cost, 0.2);
    assert.equal(s.fixes.precision, 'standard');
    assert.equal('url' in s.telemetry, false);
});

test('client-only settings never reach the server object', () => {
    const s = from({ 'server.command': ['x'], 'python.interpreter': '/py', 'trace.server': 'verbose',
        'completion.suggestWidget': true });
    assert.deepEqual(s, DEFAULTS);
});

test('every server setting is contributed in package.json with the same default', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const props: Record<string, { default: unknown }> = pkg.contributes.configuration.properties;
    const flatten = (obj: object, prefix: string): [string, unknown][] =>
        Object.entries(obj).flatMap(([k, v]) =>
            v !== null && typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]);
    const leaves = flatten(DEFAULTS, 'tact.');
    assert.ok(leaves.length === 17);
    for (const [key, value] of leaves) {
        assert.ok(key in props, `${key} is not contributed`);
        assert.deepEqual(props[key].default, value, `${key} default differs`);
    }
    assert.ok('tact.telemetry.url' in props);
    // Everything contributed is either a server setting or a known client-only one.
    const known = new Set([...leaves.map(([k]) => k), 'tact.telemetry.url',
        ...CLIENT_ONLY_KEYS.map((k) => `tact.${k}`)]);
    for (const key of Object.keys(props)) {
        assert.ok(known.has(key), `${key} is contributed but neither sent nor client-only`);
    }
});
