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
}

export function resolveServerLaunch(inputs: LaunchInputs): ServerLaunch {
    const argv = Array.isArray(inputs.serverCommand)
        ? inputs.serverCommand.filter((a): a is string => typeof a === 'string' && a !== '')
        : [];
    if (argv.length > 0) {
        return { command: argv[0], args: argv.slice(1), source: 'tact.server.command' };
    }
    const interp = typeof inputs.pythonInterpreter === 'string' ? inputs.pythonInterpreter.trim() : '';
    if (interp) {
        return { command: interp, args: ['-m', 'tact', 'serve'], source: 'tact.python.interpreter' };
    }
    const onPath = inputs.which('tact');
    if (onPath) {
        return { command: onPath, args: ['serve'], source: 'PATH' };
    }
    return { command: 'python3', args: ['-m', 'tact', 'serve'], source: 'default' };
}
