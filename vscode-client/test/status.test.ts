import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TactStatus } from '../src/protocol';
import { statusView } from '../src/status';

const base: TactStatus = {
    enabled: true, gateEnabled: true, modelVersion: 'gate-2026-11-27', shownToday: 10,
    hiddenToday: 4, skippedToday: 1, telemetryUrl: 'sqlite:////tmp/t.db',
};

test('gate on: shows how many suggestions were hidden today, tooltip has the rest', () => {
    const v = statusView(base);
    assert.equal(v.text, '$(sparkle) tact $(eye-closed) 4');
    assert.match(v.tooltip, /model: gate-2026-11-27/);
    assert.match(v.tooltip, /10 shown, 4 hidden, 1 skipped/);
    assert.match(v.tooltip, /acceptance gate: on/);
});

test('suggestions off or gate off change the icon and drop the hidden count', () => {
    assert.equal(statusView({ ...base, enabled: false }).text, '$(circle-slash) tact');
    const gateOff = statusView({ ...base, gateEnabled: false, modelVersion: null });
    assert.equal(gateOff.text, '$(eye) tact');
    assert.match(gateOff.tooltip, /model: none/);
});

test('no status yet: a warning with the reason', () => {
    const v = statusView(undefined, 'spawn python3 ENOENT');
    assert.equal(v.text, '$(warning) tact');
    assert.match(v.tooltip, /ENOENT/);
});
