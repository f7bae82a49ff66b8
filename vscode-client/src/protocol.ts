/**
 * tact's custom LSP surface, as agreed in the project's protocol notes (the server side
 * lives in `server/`). Every method beyond standard LSP 3.18 is declared here, with the
 * direction it travels and why it exists, so the client never spells a method name twice.
 *
 * This module is pure (no `vscode` import) so the unit tests can load it under plain Node.
 *
 * Standard LSP used as-is:
 * - `textDocument/inlineCompletion` (client -> server): ghost-text suggestions. Each item
 *   carries `command = {command: "tact.accept", arguments: [<suggestion id>]}`; VS Code
 *   runs it when the user accepts the whole suggestion (Tab), and the language client
 *   forwards it as `workspace/executeCommand`, which records the outcome "accepted".
 * - `textDocument/completion` (client -> server): the same suggestions as completion
 *   items (for editors without ghost text), with the same `tact.accept` command.
 * - `textDocument/codeAction` (client -> server): quick fixes for errors.
 * - Rejections are never sent: the server infers them (divergent edit, next request,
 *   or `completion.rejectTimeoutMs`).
 */

/** Command attached to every suggestion; arguments: `[id: string]`. */
export const ACCEPT_COMMAND = 'tact.accept';

/**
 * Notification (client -> server) `tact/didShowCompletion`: the editor actually rendered
 * the suggestion. Items the server returned but the editor never displayed (the user kept
 * typing) must not count as "shown", or the gate learns from suggestions nobody saw.
 */
export const DID_SHOW_COMPLETION = 'tact/didShowCompletion';
export interface DidShowCompletionParams {
    id: string;
}

/**
 * Notification (client -> server) `tact/didPartiallyAcceptCompletion`: the user accepted
 * part of the suggestion (next word / next line). `acceptedLength` counts characters of
 * the suggestion accepted so far (cumulative, as VS Code reports it).
 */
export const DID_PARTIALLY_ACCEPT_COMPLETION = 'tact/didPartiallyAcceptCompletion';
export interface DidPartiallyAcceptCompletionParams {
    id: string;
    acceptedLength: number;
}

/** Request (client -> server) `tact/status`, params `{}`: feeds the status bar item. */
export const STATUS_REQUEST = 'tact/status';
export interface TactStatus {
    enabled: boolean;
    gateEnabled: boolean;
    modelVersion: string | null;
    shownToday: number;
    hiddenToday: number;
    skippedToday: number;
    telemetryUrl: string;
}

/**
 * Server commands (client -> server via `workspace/executeCommand`). The language client
 * registers each one the server advertises as a VS Code command of the same name, so the
 * extension's own UI commands use different ids (see package.json).
 */
export const ServerCommands = {
    /** args `[id]` -> records the outcome "accepted". */
    accept: ACCEPT_COMMAND,
    /** no args -> reloads the gate model; returns its version (string). */
    reloadModel: 'tact.reloadModel',
    /** no args -> trains from telemetry with `$/progress`; returns {modelDir, version}. */
    trainModel: 'tact.trainModel',
    /** no args -> writes the evaluation report; returns {path}. */
    modelReport: 'tact.modelReport',
    /** args `[uri]` -> runs the file's tests and publishes diagnostics. */
    runTests: 'tact.runTests',
} as const;

export interface TrainModelResult {
    modelDir: string;
    version: string;
}

export interface ModelReportResult {
    path: string;
}

/** The shape of an LSP / VS Code command as far as tact cares. */
export interface CommandLike {
    command: string;
    arguments?: unknown[];
}

/**
 * The suggestion id carried by an item's `tact.accept` command, or undefined when the item
 * is not one of tact's (another provider's, or a malformed one).
 */
export function suggestionIdOf(command: CommandLike | string | undefined | null): string | undefined {
    if (!command || typeof command === 'string' || command.command !== ACCEPT_COMMAND) {
        return undefined;
    }
    const id = command.arguments?.[0];
    return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * VS Code reports a partial accept either as a number (older signature) or as
 * `{kind, acceptedLength}` (PartialAcceptInfo); 1.100 calls the hook once with each.
 * Returns the accepted length, or undefined when the argument is neither.
 */
export function acceptedLengthOf(info: unknown): number | undefined {
    if (typeof info === 'number') {
        return Number.isFinite(info) && info >= 0 ? info : undefined;
    }
    if (info && typeof info === 'object' && 'acceptedLength' in info) {
        const n = (info as { acceptedLength: unknown }).acceptedLength;
        return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
    }
    return undefined;
}

/**
 * Remembers what was already reported so each suggestion is sent as shown once, and each
 * partial-accept length once (VS Code may call the hooks repeatedly for one item). Bounded:
 * old ids are forgotten first.
 */
export class EventDeduper {
    private readonly shown = new Set<string>();
    private readonly partial = new Map<string, number>();

    constructor(private readonly capacity = 500) {}

    /** True the first time `id` is seen as shown. */
    firstShow(id: string): boolean {
        if (this.shown.has(id)) {
            return false;
        }
        this.shown.add(id);
        trim(this.shown, this.capacity);
        return true;
    }

    /** True when `acceptedLength` is new for `id` (not the length reported last). */
    newPartial(id: string, acceptedLength: number): boolean {
        if (this.partial.get(id) === acceptedLength) {
            return false;
        }
        this.partial.delete(id);
        this.partial.set(id, acceptedLength);
        trim(this.partial, this.capacity);
        return true;
    }
}

function trim(collection: Set<string> | Map<string, number>, capacity: number): void {
    while (collection.size > capacity) {
        const oldest = collection.keys().next().value as string;
        collection.delete(oldest);
    }
}
