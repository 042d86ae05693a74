import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The colours of app/globals.css, read from the file so the test follows it.
const css = readFileSync(new URL('../../app/globals.css', import.meta.url), 'utf8');
const color = (name: string): string => {
  const found = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(css);
  if (!found?.[1]) throw new Error(`--${name} is not a #rrggbb colour in app/globals.css`);
  return found[1];
};

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function ratio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('app/globals.css contrast (WCAG AA)', () => {
  // Text pairs the pages use: badges, banners, muted text, the unread count. Badge and banner text is small: 4.5:1.
  const text: [string, string, string][] = [
    ['body text', color('fg'), color('bg')],
    ['muted text', color('muted'), color('bg')],
    ['green badge', color('ok'), color('ok-bg')],
    ['yellow badge and retrying banner', color('warn'), color('warn-bg')],
    ['red badge and dead banner', color('bad'), color('bad-bg')],
    ['ending soon (.soon)', color('warn'), color('bg')],
    ['expired (.expired)', color('bad'), color('bg')],
    ['unread count', '#ffffff', color('bad')],
  ];
  it.each(text)('%s is at least 4.5:1', (_name, fg, bg) => {
    expect(ratio(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });

  it("a control's edge is at least 3:1 against the page (1.4.11)", () => {
    expect(ratio(color('control-line'), color('bg'))).toBeGreaterThanOrEqual(3);
    expect(ratio(color('control-line'), '#ffffff')).toBeGreaterThanOrEqual(3);
  });
});
