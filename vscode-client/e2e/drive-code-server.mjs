// Drives a real VS Code (code-server in headless Debian Chromium) the way a person would:
// opens a file, types, waits for tact's ghost text, screenshots it, accepts it with Tab,
// then opens a file with a syntax error and asks for quick fixes (Ctrl+.).
//
// Run by tests/editors/test_vscode_e2e.py, which starts code-server and checks the
// telemetry store afterwards. Usage:
//   node e2e/drive-code-server.mjs '<json config>'
// config: {url, completionFile, typeText, fixFile, fixLine, screenshot, artifactsDir,
//          timeoutMs, chromium?, parts? (subset of completion, partial, toggle, fix)}
// Prints one JSON line: {ok, ghostText, lineAfterAccept, quickFixes, lightbulb, steps}.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
const timeout = cfg.timeoutMs ?? 60000;
const steps = [];
const t0 = Date.now();
const step = (name) => steps.push({ name, ms: Date.now() - t0 });

mkdirSync(cfg.artifactsDir, { recursive: true });

const browser = await chromium.launch({
    executablePath: cfg.chromium ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const result = {
    ok: false, ghostText: null, lineAfterAccept: null, quickFixes: [], lightbulb: false, steps,
    completionError: null, fixError: null, toggleError: null, toggle: [],
    partialError: null, lineAfterPartial: null, fixedText: null,
};

async function shot(page, name) {
    try {
        await page.screenshot({ path: join(cfg.artifactsDir, name) });
    } catch {
        // best effort: a failed screenshot must not hide the real failure
    }
}

async function openFile(page, name) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout });
    await input.fill(name);
    // Wait for the file itself to be listed (the list first shows recent files), then
    // pick it.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout });
    await row.click();
    await page.locator(`.tab[data-resource-name="${name}"], .tab:has-text("${name}")`).first()
        .waitFor({ timeout });
    await page.locator('.monaco-editor textarea').first().waitFor({ timeout });
    await page.waitForTimeout(500);
}

/** Text of the editor line that contains `needle` (rendered lines, nbsp -> space). */
async function lineContaining(page, needle) {
    const lines = await page.locator('.monaco-editor .view-lines .view-line').allInnerTexts();
    const norm = lines.map((l) => l.replace(/\u00a0/g, ' '));
    return norm.find((l) => l.includes(needle)) ?? null;
}

try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(timeout);
    await page.goto(cfg.url, { waitUntil: 'domcontentloaded', timeout });
    await page.locator('.monaco-workbench').waitFor({ timeout });
    step('workbench loaded');

    await openFile(page, cfg.completionFile);
    step('file opened');

    // The extension is up when its status bar item stops showing the warning icon
    // (it shows one until `tact/status` answers).
    const status = page.locator('.statusbar-item', { hasText: 'tact' }).first();
    await status.waitFor({ timeout });
    await page.waitForFunction(() => {
        const items = [...document.querySelectorAll('.statusbar-item')]
            .filter((e) => e.textContent?.includes('tact'));
        return items.some((e) => !e.querySelector('.codicon-warning'));
    }, null, { timeout });
    result.statusText = (await status.innerText()).trim();
    step('server ready');
    const parts = cfg.parts ?? ['completion', 'partial', 'toggle', 'fix'];
    const run = { completion: completionPart, partial: partialPart, toggle: togglePart, fix: fixPart };
    for (const part of parts) {
        await run[part](page);
    }
    result.ok = !result.completionError && !result.partialError && !result.fixError
        && !result.toggleError;
} catch (err) {
    result.error = String(err?.stack ?? err);
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) {
        await shot(pages[0], 'vscode-failure.png');
    }
} finally {
    await browser.close();
}
console.log(JSON.stringify(result));

/** Type, see ghost text, screenshot it, accept it with Tab. */
async function completionPart(page) {
    try {
        // Click into the editor, go to the end, type like a person.
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        // Auto-indent after a block may leave spaces: clear the line first.
        await page.keyboard.press('Shift+Home');
        await page.keyboard.press('Backspace');
        await page.keyboard.type(cfg.typeText, { delay: 60 });
        step('typed');

        const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text').first();
        try {
            await ghost.waitFor({ state: 'visible', timeout: 15000 });
        } catch {
            // Typing pauses decide when VS Code asks; ask explicitly (tact.triggerSuggestion).
            await page.keyboard.press('Alt+Backslash');
            await ghost.waitFor({ state: 'visible', timeout });
        }
        const ghostTexts = await page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text')
            .allInnerTexts();
        result.ghostText = ghostTexts.join('').replace(/\u00a0/g, ' ');
        step('ghost text shown');
        await shot(page, cfg.screenshot);
        // Let the show event reach the server before accepting.
        await page.waitForTimeout(1000);

        await page.keyboard.press('Tab');
        await ghost.waitFor({ state: 'hidden', timeout });
        await page.waitForTimeout(500);
        result.lineAfterAccept = await lineContaining(page, cfg.typeText.trim());
        step('accepted with Tab');
        await page.keyboard.press('Control+S');
        await shot(page, 'vscode-after-accept.png');
    } catch (err) {
        result.completionError = String(err?.stack ?? err);
        await shot(page, 'vscode-completion-failure.png');
        await page.keyboard.press('Escape');
    }
}

/** A new line, the same prefix, and only the next word of the ghost text (Ctrl+Right). */
async function partialPart(page) {
    try {
        // A different line in between: the server drops a suggestion that repeats the
        // line above, and the accepted line above would be exactly that.
        await page.keyboard.press('End');
        await page.keyboard.press('Enter');
        await page.keyboard.type('print(response', { delay: 30 });
        await page.keyboard.press('Escape');
        await page.keyboard.press('End');
        await page.keyboard.press('Enter');
        await page.keyboard.press('Shift+Home');
        await page.keyboard.press('Backspace');
        await page.keyboard.type(cfg.typeText, { delay: 60 });
        const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text').first();
        try {
            await ghost.waitFor({ state: 'visible', timeout: 15000 });
        } catch {
            await page.keyboard.press('Alt+Backslash');
            await ghost.waitFor({ state: 'visible', timeout });
        }
        await page.waitForTimeout(1000);
        await page.keyboard.press('Control+ArrowRight');
        await page.waitForTimeout(1000);
        const lines = (await page.locator('.monaco-editor .view-lines .view-line').allInnerTexts())
            .map((l) => l.replace(/\u00a0/g, ' '));
        // The last line typed on: the one after the accepted line.
        result.lineAfterPartial = lines.filter((l) => l.startsWith(cfg.typeText)).pop() ?? null;
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+S');
        step('accepted one word');
    } catch (err) {
        result.partialError = String(err?.stack ?? err);
        await shot(page, 'vscode-partial-failure.png');
        await page.keyboard.press('Escape');
    }
}

/** Run a command from the palette (F1), by its title. */
async function runCommand(page, title) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout });
    await row.click();
}

/** Status bar icon of tact's item: the codicon class names inside it. */
async function statusIcons(page) {
    return page.evaluate(() => {
        const item = [...document.querySelectorAll('.statusbar-item')]
            .find((e) => e.textContent?.includes('tact'));
        return item ? [...item.querySelectorAll('.codicon')].map((c) => c.className).join(' ') : '';
    });
}

/** "tact: Toggle suggestions" twice: the status bar follows the server's tact/status. */
async function togglePart(page) {
    try {
        for (const expectOff of [true, false]) {
            await runCommand(page, 'tact: Toggle suggestions');
            await page.waitForFunction((off) => {
                const item = [...document.querySelectorAll('.statusbar-item')]
                    .find((e) => e.textContent?.includes('tact'));
                return !!item && !!item.querySelector('.codicon-circle-slash') === off;
            }, expectOff, { timeout });
            result.toggle.push(await statusIcons(page));
            if (expectOff) {
                await shot(page, 'vscode-suggestions-off.png');
            }
        }
        step('toggled off and on');
    } catch (err) {
        result.toggleError = String(err?.stack ?? err);
        await shot(page, 'vscode-toggle-failure.png');
        await page.keyboard.press('Escape');
    }
}

/** Open a file with a syntax error, wait for the squiggle, list the quick fixes. */
async function fixPart(page) {
    try {
        await openFile(page, cfg.fixFile);
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+Home');
        for (let i = 1; i < cfg.fixLine; i += 1) {
            await page.keyboard.press('ArrowDown');
        }
        await page.keyboard.press('End');
        // Diagnostics arrive asynchronously after didOpen: wait for the squiggle.
        await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout });
        step('syntax error diagnosed');
        const deadline = Date.now() + timeout;
        while (Date.now() < deadline && result.quickFixes.length === 0) {
            await page.keyboard.press('Control+Period');
            const menu = page.locator('.action-widget .monaco-list-row');
            try {
                await menu.first().waitFor({ state: 'visible', timeout: 5000 });
                result.quickFixes = (await menu.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
            } catch {
                await page.keyboard.press('Escape');
                await page.waitForTimeout(1000);
            }
        }
        result.lightbulb = await page.locator('.lightBulbWidget, .codicon-light-bulb, .codicon-lightbulb-autofix')
            .count() > 0;
        await shot(page, 'vscode-quick-fix.png');
        step('quick fixes listed');
        if (result.quickFixes.length === 0) {
            throw new Error('no quick fix offered');
        }
        // Apply the first (focused) fix: VS Code resolves it, applies its edit and runs
        // its command, then the error squiggle goes away.
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .squiggly-error').length === 0,
            null, { timeout });
        const lines = await page.locator('.monaco-editor .view-lines .view-line').allInnerTexts();
        result.fixedText = lines.map((l) => l.replace(/\u00a0/g, ' ')).join('\n');
        await page.keyboard.press('Control+S');
        await shot(page, 'vscode-fix-applied.png');
        step('quick fix applied');
    } catch (err) {
        result.fixError = String(err?.stack ?? err);
        await shot(page, 'vscode-fix-failure.png');
    }
}
