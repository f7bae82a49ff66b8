import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandPath, resolveServerLaunch } from '../src/serverCommand';

const noPath = () => undefined;

test('an explicit server command wins', () => {
    const l = resolveServerLaunch({ serverCommand: ['/v/bin/tact', 'serve', '--log', 'x'],
        pythonInterpreter: '/py', which: () => '/usr/bin/tact' });
    assert.deepEqual([l.command, l.args, l.source], ['/v/bin/tact', ['serve', '--log', 'x'], 'tact.server.command']);
});

test('then the configured interpreter runs -m tact serve', () => {
    const l = resolveServerLaunch({ serverCommand: [], pythonInterpreter: ' /v/bin/python ', which: noPath });
    assert.deepEqual([l.command, l.args, l.source], ['/v/bin/python', ['-m', 'tact', 'serve'], 'tact.python.interpreter']);
});

test('then tact on PATH, then python3 -m tact serve', () => {
    const onPath = resolveServerLaunch({ which: (n) => (n === 'tact' ? '/usr/local/bin/tact' : undefined) });
    assert.deepEqual([onPath.command, onPath.args, onPath.source], ['/usr/local/bin/tact', ['serve'], 'PATH']);
    const fallback = resolveServerLaunch({ serverCommand: 'not-an-array', pythonInterpreter: 3, which: noPath });
    assert.deepEqual([fallback.command, fallback.args, fallback.source], ['python3', ['-m', 'tact', 'serve'], 'default']);
});

test('${workspaceFolder} and ~/ are expanded in both settings', () => {
    const l = resolveServerLaunch({ pythonInterpreter: '${workspaceFolder}/.venv/bin/python',
        which: noPath, workspaceFolder: '/w', home: '/home/me' });
    assert.equal(l.command, '/w/.venv/bin/python');
    const c = resolveServerLaunch({ serverCommand: ['~/bin/tact', 'serve', '--log', '${workspaceFolder}/x.log'],
        which: noPath, workspaceFolder: '/w', home: '/home/me' });
    assert.deepEqual([c.command, c.args], ['/home/me/bin/tact', ['serve', '--log', '/w/x.log']]);
    assert.equal(expandPath('a~/b', '/w', '/h'), 'a~/b');
    assert.equal(expandPath('${workspaceFolder}', undefined, '/h'), '${workspaceFolder}');
});
