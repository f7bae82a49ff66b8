/**
 * Decides how the language server is launched. Pure (no `vscode` import) so the rules are
 * unit-tested: an explicit command wins, then a configured Python interpreter, then a
 * `tact` executable on PATH, then `python3 -m tact serve`.
 */

export interface ServerLaunch {
    command: string;
    args: string[];
    /** Which rule chose it, shown in the output channel so a wrong launch is easy to debug. */
    source: 'tact.server.command' | 'tact.python.interpreter' | 'PATH' | 'default';
}

export interface LaunchInputs {
    /** `tact.server.command`: argv, e.g. ["/venv/bin/tact", "serve"]. */
    serverCommand?: unknown;
    /** `tact.python.interpreter`. */
    pythonInterpreter?: unknown;
    /** Finds an executable on PATH (absolute path) or returns undefined. */
    which: (name: string) => string | undefined;
    /** Expands `${workspaceFolder}` in the two settings above (VS Code does not). */
    workspaceFolder?: string;
    /** Expands a leading `~/`. */
    home?: string;
}

/** `${workspaceFolder}` and a leading `~/` expanded, as users expect in a path setting. */
export function expandPath(value: string, workspaceFolder?: string, home?: string): string {
    let out = value;
    if (workspaceFolder !== undefined) {
        out = out.split('${workspaceFolder}').join(workspaceFolder);
    }
    if (home !== undefined && (out === '~' || out.startsWith('~/'))) {
        out = home + out.slice(1);
    }
    return out;
}

export function resolveServerLaunch(inputs: LaunchInputs): ServerLaunch {
    const expand = (v: string) => expandPath(v, inputs.workspaceFolder, inputs.home);
    const argv = Array.isArray(inputs.serverCommand)
        ? inputs.serverCommand.filter((a): a is string => typeof a === 'string' && a !== '').map(expand)
        : [];
    if (argv.length > 0) {
        return { command: argv[0], args: argv.slice(1), source: 'tact.server.command' };
    }
    const interp = typeof inputs.pythonInterpreter === 'string' ? expand(inputs.pythonInterpreter.trim()) : '';
    if (interp) {
        return { command: interp, args: ['-m', 'tact', 'serve'], source: 'tact.python.interpreter' };
    }
    const onPath = inputs.which('tact');
    if (onPath) {
        return { command: onPath, args: ['serve'], source: 'PATH' };
    }
    return { command: 'python3', args: ['-m', 'tact', 'serve'], source: 'default' };
}
