/**
 * tact for VS Code: starts `tact serve` over stdio and wires VS Code's UI to it.
 *
 * - Suggestions: LSP inline completion (ghost text) through TactInlineCompletionFeature,
 *   which also reports "rendered" and "partially accepted" to the server. Full accepts
 *   run the item's `tact.accept` command, forwarded by the client as executeCommand.
 * - Quick fixes: standard LSP code actions (the language client shows them as-is).
 * - Settings: `tact.*` mapped by settings.ts, sent as initializationOptions and on change.
 * - Status bar: `tact/status`, refreshed on a timer and after each reported event.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
    commands,
    ConfigurationTarget,
    env,
    ExtensionContext,
    LogOutputChannel,
    ProgressLocation,
    StatusBarAlignment,
    StatusBarItem,
    Uri,
    window,
    workspace,
} from 'vscode';
import {
    DidChangeConfigurationNotification,
    ExecuteCommandRequest,
    LanguageClientOptions,
    ServerOptions,
    State,
    TransportKind,
    WorkDoneProgress,
    WorkDoneProgressBegin,
    WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import { TactLanguageClient } from './inlineCompletion';
import {
    ModelReportResult,
    ServerCommands,
    STATUS_REQUEST,
    TactStatus,
    TrainModelResult,
} from './protocol';
import { resolveServerLaunch } from './serverCommand';
import { RESTART_KEYS, ServerSettings, toServerSettings } from './settings';
import { statusView } from './status';

const LANGUAGES = ['python', 'javascript', 'typescript', 'go', 'rust'];
const STATUS_REFRESH_MS = 15000;

let client: TactLanguageClient | undefined;
let output: LogOutputChannel;
let traceOutput: LogOutputChannel;
let statusItem: StatusBarItem;
let statusTimer: NodeJS.Timeout | undefined;
let statusDebounce: NodeJS.Timeout | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
    output = window.createOutputChannel('tact', { log: true });
    traceOutput = window.createOutputChannel('tact (LSP trace)', { log: true });
    statusItem = window.createStatusBarItem('tact.status', StatusBarAlignment.Right, 100);
    statusItem.name = 'tact';
    statusItem.command = 'tact.showMenu';
    applyStatus(undefined);
    statusItem.show();
    context.subscriptions.push(output, traceOutput, statusItem,
        { dispose: () => clearInterval(statusTimer) });

    registerCommands(context);

    context.subscriptions.push(workspace.onDidChangeConfiguration(async (e) => {
        if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) {
            output.info('server launch settings changed: restarting');
            await restartClient(context);
        } else if (e.affectsConfiguration('tact') && client?.isRunning()) {
            await client.sendNotification(DidChangeConfigurationNotification.type,
                { settings: { tact: currentSettings() } });
            scheduleStatusRefresh();
        }
    }));

    await startClient(context);
}

export async function deactivate(): Promise<void> {
    clearInterval(statusTimer);
    if (client) {
        await client.stop();
        client = undefined;
    }
}

function currentSettings(): ServerSettings {
    const cfg = workspace.getConfiguration('tact');
    return toServerSettings((key) => cfg.get(key));
}

function which(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
        if (!dir) {
            continue;
        }
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

async function startClient(context: ExtensionContext): Promise<void> {
    const cfg = workspace.getConfiguration('tact');
    const cwd = workspace.workspaceFolders?.[0]?.uri.fsPath;
    const launch = resolveServerLaunch({
        serverCommand: cfg.get('server.command'),
        pythonInterpreter: cfg.get('python.interpreter'),
        which,
        workspaceFolder: cwd,
        home: os.homedir(),
    });
    output.info(`starting server (${launch.source}): ${launch.command} ${launch.args.join(' ')}`);

    const serverOptions: ServerOptions = {
        command: launch.command,
        args: launch.args,
        transport: TransportKind.stdio,
        options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: LANGUAGES.flatMap((language) => [
            { scheme: 'file', language },
            { scheme: 'untitled', language },
        ]),
        initializationOptions: currentSettings(),
        outputChannel: output,
        traceOutputChannel: traceOutput,
        middleware: {
            // Ghost text is the VS Code UI for suggestions; the same suggestion in the
            // suggest widget would be shown, and recorded, twice. Opt in with a setting.
            provideCompletionItem: (document, position, context, token, next) =>
                workspace.getConfiguration('tact', document).get<boolean>('completion.suggestWidget', false)
                    ? next(document, position, context, token)
                    : undefined,
            workspace: {
                // A server that pulls settings (workspace/configuration) gets the same
                // mapped object as the one pushed, never the raw section.
                configuration: async (params, token, next) => {
                    const raw = await next(params, token);
                    if (!Array.isArray(raw)) {
                        return raw;
                    }
                    return params.items.map((item, i) =>
                        item.section === 'tact' ? currentSettings() : raw[i]);
                },
            },
        },
    };

    client = new TactLanguageClient('tact', 'tact', serverOptions, clientOptions);
    context.subscriptions.push(client.onDidChangeState((e) => {
        if (e.newState === State.Stopped) {
            applyStatus(undefined, 'server stopped');
        }
    }));
    try {
        await client.start();
    } catch (err) {
        output.error(`could not start the tact server: ${String(err)}`);
        applyStatus(undefined, 'could not start; see the tact output');
        void window.showErrorMessage(
            `tact: could not start the language server (${launch.command}). ` +
            'Set "tact.python.interpreter" or "tact.server.command".', 'Show log',
        ).then((choice) => choice && output.show());
        return;
    }
    const feature = client.inlineFeature;
    if (feature) {
        feature.onEvent = (method, params) => {
            output.debug(`${method} ${JSON.stringify(params)}`);
            scheduleStatusRefresh();
        };
    }
    clearInterval(statusTimer);
    statusTimer = setInterval(() => void refreshStatus(), STATUS_REFRESH_MS);
    await refreshStatus();
}

async function restartClient(context: ExtensionContext): Promise<void> {
    if (client) {
        await client.stop().catch(() => undefined);
        client = undefined;
    }
    await startClient(context);
}

function applyStatus(status: TactStatus | undefined, error?: string): void {
    const view = statusView(status, error);
    statusItem.text = view.text;
    statusItem.tooltip = view.tooltip;
}

async function refreshStatus(): Promise<void> {
    if (!client?.isRunning()) {
        return;
    }
    try {
        applyStatus(await client.sendRequest<TactStatus>(STATUS_REQUEST, {}));
    } catch (err) {
        applyStatus(undefined, String(err));
    }
}

function scheduleStatusRefresh(): void {
    clearTimeout(statusDebounce);
    statusDebounce = setTimeout(() => void refreshStatus(), 500);
}

async function executeServerCommand<T>(command: string, args: unknown[] = [], workDoneToken?: string): Promise<T> {
    if (!client?.isRunning()) {
        throw new Error('the tact server is not running');
    }
    return client.sendRequest(ExecuteCommandRequest.type,
        { command, arguments: args, ...(workDoneToken ? { workDoneToken } : {}) }) as Promise<T>;
}

function registerCommands(context: ExtensionContext): void {
    const reg = (id: string, fn: () => unknown) =>
        context.subscriptions.push(commands.registerCommand(id, async () => {
            try {
                await fn();
            } catch (err) {
                output.error(`${id}: ${String(err)}`);
                void window.showErrorMessage(`tact: ${String(err instanceof Error ? err.message : err)}`);
            }
        }));

    reg('tact.toggleSuggestions', async () => {
        const cfg = workspace.getConfiguration('tact');
        const inspected = cfg.inspect<boolean>('enable');
        const target = inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined
            ? ConfigurationTarget.Workspace : ConfigurationTarget.Global;
        const next = !cfg.get<boolean>('enable', true);
        await cfg.update('enable', next, target);
        window.setStatusBarMessage(`tact suggestions ${next ? 'on' : 'off'}`, 3000);
    });

    reg('tact.triggerSuggestion', () => commands.executeCommand('editor.action.inlineSuggest.trigger'));

    reg('tact.trainModelNow', () => window.withProgress(
        { location: ProgressLocation.Notification, title: 'tact: training the acceptance model' },
        async (progress) => {
            const token = `tact-train-${Date.now()}`;
            let reported = 0;
            const sub = client?.onProgress(WorkDoneProgress.type, token,
                (value: WorkDoneProgressBegin | WorkDoneProgressReport | { kind: 'end' }) => {
                    if (value.kind === 'end') {
                        return;
                    }
                    const pct = value.percentage ?? reported;
                    progress.report({ message: value.message, increment: Math.max(0, pct - reported) });
                    reported = Math.max(reported, pct);
                });
            try {
                const result = await executeServerCommand<TrainModelResult | null>(
                    ServerCommands.trainModel, [], token);
                await refreshStatus();
                void window.showInformationMessage(result?.version
                    ? `tact: trained model ${result.version} (${result.modelDir})`
                    : 'tact: training finished');
            } finally {
                sub?.dispose();
            }
        }));

    reg('tact.reloadModelNow', async () => {
        const version = await executeServerCommand<string | null>(ServerCommands.reloadModel);
        await refreshStatus();
        void window.showInformationMessage(`tact: model ${version ?? '(none)'} loaded`);
    });

    reg('tact.showModelReport', () => window.withProgress(
        { location: ProgressLocation.Notification, title: 'tact: writing the model report' },
        async () => {
            const result = await executeServerCommand<ModelReportResult | null>(ServerCommands.modelReport);
            if (!result?.path) {
                throw new Error('the server wrote no report');
            }
            const uri = Uri.file(result.path);
            if (/\.html?$/i.test(result.path)) {
                await env.openExternal(uri);
            } else {
                await commands.executeCommand('vscode.open', uri);
            }
        }));

    reg('tact.runTestsForFile', async () => {
        const doc = window.activeTextEditor?.document;
        if (!doc) {
            throw new Error('open a file first');
        }
        await executeServerCommand(ServerCommands.runTests, [doc.uri.toString()]);
    });

    reg('tact.showOutput', () => output.show());
    reg('tact.restartServer', () => restartClient(context));

    reg('tact.showMenu', async () => {
        const enabled = workspace.getConfiguration('tact').get<boolean>('enable', true);
        const items = [
            { label: enabled ? 'Turn suggestions off' : 'Turn suggestions on', id: 'tact.toggleSuggestions' },
            { label: 'Suggest now', id: 'tact.triggerSuggestion' },
            { label: 'Train the acceptance model now', id: 'tact.trainModelNow' },
            { label: 'Show the model report', id: 'tact.showModelReport' },
            { label: 'Show server log', id: 'tact.showOutput' },
            { label: 'Restart the language server', id: 'tact.restartServer' },
        ];
        const pick = await window.showQuickPick(items, { placeHolder: statusItem.tooltip?.toString() });
        if (pick) {
            await commands.executeCommand(pick.id);
        }
    });
}
