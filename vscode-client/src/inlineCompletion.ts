/**
 * LSP inline completion (3.18 `textDocument/inlineCompletion`) with VS Code's show and
 * partial-accept hooks.
 *
 * vscode-languageclient 11 ships an InlineCompletionItemFeature, but the provider it
 * registers has only `provideInlineCompletionItems`; VS Code decides at registration
 * whether a provider receives show/partial-accept events, so they cannot be patched in
 * later. This feature is the library's one with those two hooks added: same request,
 * same converters, same middleware (`middleware.provideInlineCompletionItems`), same
 * static/dynamic registration. `TactLanguageClient` swaps it in for the built-in one.
 */
import {
    CancellationToken,
    Disposable,
    InlineCompletionContext,
    InlineCompletionItem,
    InlineCompletionItemProvider,
    InlineCompletionList,
    languages,
    PartialAcceptInfo,
    Position,
    ProviderResult,
    TextDocument,
} from 'vscode';
import {
    ClientCapabilities,
    DocumentSelector,
    FeatureClient,
    InlineCompletionOptions,
    InlineCompletionRegistrationOptions,
    InlineCompletionRequest,
    LanguageClient,
    LanguageClientOptions,
    ServerCapabilities,
    ServerOptions,
    StaticFeature,
    DynamicFeature,
    TextDocumentLanguageFeature,
} from 'vscode-languageclient/node';
import {
    acceptedLengthOf,
    DID_PARTIALLY_ACCEPT_COMPLETION,
    DID_SHOW_COMPLETION,
    DidPartiallyAcceptCompletionParams,
    DidShowCompletionParams,
    EventDeduper,
    suggestionIdOf,
} from './protocol';

type ProvideSignature = (
    document: TextDocument, position: Position, context: InlineCompletionContext,
    token: CancellationToken,
) => ProviderResult<InlineCompletionItem[] | InlineCompletionList>;

interface InlineMiddleware {
    provideInlineCompletionItems?: (
        document: TextDocument, position: Position, context: InlineCompletionContext,
        token: CancellationToken, next: ProvideSignature,
    ) => ProviderResult<InlineCompletionItem[] | InlineCompletionList>;
}

/** Called for every event sent, so the extension can log it and refresh the status bar. */
export type InlineEventListener = (method: string, params: object) => void;

export class TactInlineCompletionFeature extends TextDocumentLanguageFeature<
    boolean | InlineCompletionOptions, InlineCompletionRegistrationOptions,
    InlineCompletionItemProvider, InlineMiddleware
> {
    private readonly deduper = new EventDeduper();
    onEvent: InlineEventListener | undefined;

    constructor(private readonly tactClient: FeatureClient<InlineMiddleware>) {
        super(tactClient, InlineCompletionRequest.type);
    }

    fillClientCapabilities(capabilities: ClientCapabilities): void {
        capabilities.textDocument ??= {};
        capabilities.textDocument.inlineCompletion = { dynamicRegistration: true };
    }

    initialize(capabilities: ServerCapabilities, documentSelector: DocumentSelector): void {
        const options = this.getRegistrationOptions(documentSelector, capabilities.inlineCompletionProvider);
        if (!options) {
            return;
        }
        this.register({ id: randomId(), registerOptions: options });
    }

    protected registerLanguageProvider(
        options: InlineCompletionRegistrationOptions,
    ): [Disposable, InlineCompletionItemProvider] {
        const client = this.tactClient;
        const provider: InlineCompletionItemProvider = {
            provideInlineCompletionItems: (document, position, context, token) => {
                const send: ProvideSignature = (document, position, context, token) =>
                    client.sendRequest(
                        InlineCompletionRequest.type,
                        client.code2ProtocolConverter.asInlineCompletionParams(document, position, context),
                        token,
                    ).then(
                        (result) => token.isCancellationRequested
                            ? null
                            : client.protocol2CodeConverter.asInlineCompletionResult(result, token),
                        (error) => (client as unknown as LanguageClient).handleFailedRequest(
                            InlineCompletionRequest.type, token, error, null),
                    );
                const middleware = client.middleware;
                return middleware.provideInlineCompletionItems
                    ? middleware.provideInlineCompletionItems(document, position, context, token, send)
                    : send(document, position, context, token);
            },
            handleDidShowCompletionItem: (item: InlineCompletionItem) => {
                const id = suggestionIdOf(item.command);
                if (id && this.deduper.firstShow(id)) {
                    this.notify(DID_SHOW_COMPLETION, { id } satisfies DidShowCompletionParams);
                }
            },
            handleDidPartiallyAcceptCompletionItem: (
                item: InlineCompletionItem, info: number | PartialAcceptInfo,
            ) => {
                const id = suggestionIdOf(item.command);
                const acceptedLength = acceptedLengthOf(info);
                if (id && acceptedLength !== undefined && this.deduper.newPartial(id, acceptedLength)) {
                    this.notify(DID_PARTIALLY_ACCEPT_COMPLETION,
                        { id, acceptedLength } satisfies DidPartiallyAcceptCompletionParams);
                }
            },
        };
        const selector = client.protocol2CodeConverter.asDocumentSelector(options.documentSelector!);
        return [languages.registerInlineCompletionItemProvider(selector, provider), provider];
    }

    private notify(method: string, params: object): void {
        this.tactClient.sendNotification(method, params).catch(() => undefined);
        this.onEvent?.(method, params);
    }
}

function randomId(): string {
    return `tact-inline-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * A LanguageClient whose inline completion feature is TactInlineCompletionFeature. The
 * built-in feature is recognised by the request it registers for (class names do not
 * survive minification) and replaced before the client starts.
 */
export class TactLanguageClient extends LanguageClient {
    constructor(id: string, name: string, serverOptions: ServerOptions, clientOptions: LanguageClientOptions) {
        super(id, name, serverOptions, clientOptions);
    }

    override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
        const method = (feature as Partial<DynamicFeature<unknown>>).registrationType?.method;
        if (method === InlineCompletionRequest.method && !(feature instanceof TactInlineCompletionFeature)) {
            // Called from the base constructor: no subclass field may be touched here.
            super.registerFeature(new TactInlineCompletionFeature(this as FeatureClient<InlineMiddleware>));
            return;
        }
        super.registerFeature(feature);
    }

    /** The swapped-in feature (to listen to the events it sends). */
    get inlineFeature(): TactInlineCompletionFeature | undefined {
        const feature = this.getFeature(InlineCompletionRequest.method) as unknown;
        return feature instanceof TactInlineCompletionFeature ? feature : undefined;
    }
}
