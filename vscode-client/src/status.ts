/**
 * Text of the status bar item, from the server's `tact/status` answer. Pure so the
 * wording is unit-tested; the extension only copies these fields onto a StatusBarItem.
 */
import type { TactStatus } from './protocol';

export interface StatusView {
    text: string;
    tooltip: string;
}

export function statusView(status: TactStatus | undefined, error?: string): StatusView {
    if (!status) {
        return {
            text: '$(warning) tact',
            tooltip: error ? `tact: server not ready (${error})` : 'tact: starting…',
        };
    }
    const icon = !status.enabled ? '$(circle-slash)' : status.gateEnabled ? '$(sparkle)' : '$(eye)';
    const hidden = status.enabled && status.gateEnabled ? ` $(eye-closed) ${status.hiddenToday}` : '';
    const lines = [
        `tact suggestions: ${status.enabled ? 'on' : 'off'}`,
        `acceptance gate: ${status.gateEnabled ? 'on' : 'off'}`,
        `model: ${status.modelVersion ?? 'none (showing all)'}`,
        `today: ${status.shownToday} shown, ${status.hiddenToday} hidden, ${status.skippedToday} skipped`,
        `telemetry: ${status.telemetryUrl}`,
    ];
    return { text: `${icon} tact${hidden}`, tooltip: lines.join('\n') };
}
