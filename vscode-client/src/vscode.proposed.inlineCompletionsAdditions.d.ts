/*
 * The part of VS Code's proposed API `inlineCompletionsAdditions` that tact uses (the
 * hooks that tell a provider its suggestion was rendered / partially accepted). Enabled
 * through package.json `enabledApiProposals`; VS Code honours it when started with
 * `--enable-proposed-api tact.tact` (code-server too) or in extension development mode.
 * Elsewhere the hooks are simply never called and only full accepts are reported.
 */
declare module 'vscode' {
    export interface PartialAcceptInfo {
        kind: number;
        acceptedLength: number;
    }

    export interface InlineCompletionItemProvider {
        handleDidShowCompletionItem?(completionItem: InlineCompletionItem, updatedInsertText: string): void;
        handleDidPartiallyAcceptCompletionItem?(
            completionItem: InlineCompletionItem, info: number | PartialAcceptInfo): void;
    }
}
