/**
 * Maps VS Code's `tact.*` settings onto the settings object the server reads (the agreed
 * protocol: camel-case keys, nested as below). Sent as `initializationOptions` and, on
 * every change, as `workspace/didChangeConfiguration` `{settings: {tact: ...}}`.
 *
 * Built key by key instead of forwarding the raw section so client-only settings
 * (`server.command`, `python.interpreter`, `trace.server`) never reach the server, and a
 * wrongly typed value in settings.json falls back to the default instead of confusing it.
 *
 * Pure module (no `vscode` import): unit-tested under plain Node.
 */

export type GateMode = 'utility' | 'maxAcceptedHidden';
export type FixPrecision = 'lenient' | 'standard' | 'strict';

export interface ServerSettings {
    enable: boolean;
    engine: string;
    completion: { maxLines: number; rejectTimeoutMs: number };
    /** `url` is omitted when unset, so the server applies its own default location. */
    telemetry: { url?: string; storeText: boolean };
    gate: {
        enabled: boolean;
        mode: GateMode;
        benefit: number;
        cost: number;
        maxAcceptedHiddenPercent: number;
        exploration: number;
        modelPath: string | null;
    };
    fixes: {
        enable: boolean;
        allowExecution: boolean;
        timeoutSeconds: number;
        memoryMB: number;
        precision: FixPrecision;
    };
}

export const DEFAULTS: ServerSettings = {
    enable: true,
    engine: 'embedded',
    completion: { maxLines: 3, rejectTimeoutMs: 15000 },
    telemetry: { storeText: false },
    gate: {
        enabled: true,
        mode: 'utility',
        benefit: 1.0,
        cost: 0.2,
        maxAcceptedHiddenPercent: 5.0,
        exploration: 0.05,
        modelPath: null,
    },
    fixes: {
        enable: true,
        allowExecution: false,
        timeoutSeconds: 10,
        memoryMB: 512,
        precision: 'standard',
    },
};

/** Reads one setting below the `tact` section, e.g. `get("gate.benefit")`. */
export type SettingGetter = (key: string) => unknown;

function bool(get: SettingGetter, key: string, fallback: boolean): boolean {
    const v = get(key);
    return typeof v === 'boolean' ? v : fallback;
}

function num(get: SettingGetter, key: string, fallback: number, min = -Infinity, max = Infinity): number {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : fallback;
}

function str(get: SettingGetter, key: string, fallback: string): string {
    const v = get(key);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : fallback;
}

function oneOf<T extends string>(get: SettingGetter, key: string, allowed: readonly T[], fallback: T): T {
    const v = get(key);
    return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** The server settings object for the current VS Code configuration. */
export function toServerSettings(get: SettingGetter): ServerSettings {
    const d = DEFAULTS;
    const url = str(get, 'telemetry.url', '');
    const modelPath = str(get, 'gate.modelPath', '');
    return {
        enable: bool(get, 'enable', d.enable),
        engine: str(get, 'engine', d.engine),
        completion: {
            maxLines: num(get, 'completion.maxLines', d.completion.maxLines, 1),
            rejectTimeoutMs: num(get, 'completion.rejectTimeoutMs', d.completion.rejectTimeoutMs, 0),
        },
        telemetry: {
            ...(url ? { url } : {}),
            storeText: bool(get, 'telemetry.storeText', d.telemetry.storeText),
        },
        gate: {
            enabled: bool(get, 'gate.enabled', d.gate.enabled),
            mode: oneOf(get, 'gate.mode', ['utility', 'maxAcceptedHidden'] as const, d.gate.mode),
            benefit: num(get, 'gate.benefit', d.gate.benefit, 0),
            cost: num(get, 'gate.cost', d.gate.cost, 0),
            maxAcceptedHiddenPercent: num(
                get, 'gate.maxAcceptedHiddenPercent', d.gate.maxAcceptedHiddenPercent, 0, 100),
            exploration: num(get, 'gate.exploration', d.gate.exploration, 0, 1),
            modelPath: modelPath || null,
        },
        fixes: {
            enable: bool(get, 'fixes.enable', d.fixes.enable),
            allowExecution: bool(get, 'fixes.allowExecution', d.fixes.allowExecution),
            timeoutSeconds: num(get, 'fixes.timeoutSeconds', d.fixes.timeoutSeconds, 1),
            memoryMB: num(get, 'fixes.memoryMB', d.fixes.memoryMB, 64),
            precision: oneOf(get, 'fixes.precision', ['lenient', 'standard', 'strict'] as const,
                d.fixes.precision),
        },
    };
}

/** Client-only settings: never sent to the server. */
export const CLIENT_ONLY_KEYS = ['server.command', 'python.interpreter', 'trace.server',
    'completion.suggestWidget'] as const;

/** Settings that need a server restart (they change how it is launched). */
export const RESTART_KEYS = ['tact.server.command', 'tact.python.interpreter'] as const;
