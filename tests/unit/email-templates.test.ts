import { describe, expect, it } from 'vitest';
import { emailPayloadSchema, isEmailTemplate, renderEmail, type EmailPayload, type EmailTemplate } from '../../lib/notify/templates';

const NOW = new Date('2026-11-22T08:00:00.000Z');
// A query string makes "exact link" meaningful: `&` must survive as `&amp;` in the href.
const RECONNECT_URL = 'https://app.example.test/integrations/int-1/reconnect?from=email&integration=int-1';
const REASON = 'Google no longer accepts this connection refresh token (invalid_grant): access was revoked or expired.';

function payload(overrides: Partial<EmailPayload> = {}): EmailPayload {
  return {
    provider: 'google',
    provider_name: 'Google',
    account_label: 'dana@acme.example',
    title: 'Google disconnected',
    message: 'Google disconnected. Your workflows are paused. Reconnect now.',
    reason: null,
    action_url: RECONNECT_URL,
    ...overrides,
  };
}

/** How an attribute value appears in React's HTML output. */
function attr(value: string): string {
  return value.replaceAll('&', '&amp;');
}

/** The HTML without the empty comments React puts between adjacent text nodes. */
function joined(html: string): string {
  return html.replaceAll('<!-- -->', '');
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1] ?? '');
}

const ALL_TEMPLATES: EmailTemplate[] = [
  'integration_warning',
  'integration_disconnected',
  'integration_token_expiring',
  'integration_restored',
];

describe('renderEmail', () => {
  it('writes the "having trouble" email with the account and a check-connection button', async () => {
    const email = await renderEmail('integration_warning', payload(), { now: NOW });

    expect(email.subject).toBe("We're having trouble connecting to Google");
    expect(joined(email.html)).toContain('We&#x27;re having trouble connecting to Google (dana@acme.example). Please check your connection.');
    expect(email.html).toContain(`href="${attr(RECONNECT_URL)}"`);
    expect(email.html).toContain('Check connection');
    expect(email.text).toContain("We're having trouble connecting to Google (dana@acme.example). Please check your connection.");
    expect(email.text).toContain(`Check connection ${RECONNECT_URL}`);
  });

  it('writes the disconnected email with the reason in its own paragraph, a reconnect button and the link written out', async () => {
    const email = await renderEmail('integration_disconnected', payload({ reason: REASON }), { now: NOW });

    expect(email.subject).toBe('Google disconnected: reconnect to resume your workflows');
    expect(joined(email.html)).toContain('>Google (dana@acme.example) disconnected. Your workflows are paused. Reconnect now.</p>');
    expect(email.html).toMatch(new RegExp(`<p[^>]*>${REASON.replace(/[()]/g, '\\$&')}</p>`));
    expect(joined(email.html)).toContain('>Reconnect Google</span>');
    // The button and the written-out URL both point at the exact reconnect link.
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL), attr(RECONNECT_URL)]);
    expect(email.html).toContain(`>${attr(RECONNECT_URL)}</a>`);

    expect(email.text).toContain('Google (dana@acme.example) disconnected. Your workflows are paused. Reconnect now.');
    expect(email.text).toContain(`\n\n${REASON}\n\n`);
    expect(email.text).toContain(`Reconnect Google ${RECONNECT_URL}`);
    // Written out once: the copy-this-link fallback is for HTML clients only.
    expect(email.text.split(RECONNECT_URL)).toHaveLength(2);
  });

  it('leaves the reason paragraph out when there is no reason', async () => {
    const withReason = await renderEmail('integration_disconnected', payload({ reason: REASON }), { now: NOW });
    const without = await renderEmail('integration_disconnected', payload({ reason: null }), { now: NOW });

    expect(without.html).not.toContain('invalid_grant');
    expect(without.html.match(/<p /g)?.length).toBe((withReason.html.match(/<p /g)?.length ?? 0) - 1);
  });

  it('writes the expiring email with the UTC expiry, in days when it is close', async () => {
    const email = await renderEmail('integration_token_expiring', payload({ expires_at: '2026-11-25T09:00:00.000Z' }), { now: NOW });

    expect(email.subject).toBe('Your Google connection expires in 3 days');
    expect(joined(email.html)).toContain('Your connection to Google (dana@acme.example) expires on 25 Nov 2026, 09:00 UTC.');
    expect(joined(email.html)).toContain('Please reconnect before 25 Nov 2026, 09:00 UTC to keep your workflows running.');
    expect(email.html).toContain('renew it automatically');
    expect(email.html).toContain('dana@acme.example');
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL), attr(RECONNECT_URL)]);
    expect(email.text).toContain('Your connection to Google (dana@acme.example) expires on 25 Nov 2026, 09:00 UTC.');
    expect(email.text).toContain(`Reconnect Google ${RECONNECT_URL}`);
  });

  it.each([
    ['2026-11-23T08:00:00.000Z', 'Your Google connection expires in 1 day'],
    ['2026-11-22T20:00:00.000Z', 'Your Google connection expires in less than a day'],
    ['2026-12-05T09:00:00+01:00', 'Your Google connection expires on 5 Dec 2026'],
    [null, 'Your Google connection expires soon'],
  ])('words an expiry at %s as "%s"', async (expiresAt, subject) => {
    const email = await renderEmail('integration_token_expiring', payload({ expires_at: expiresAt }), { now: NOW });
    expect(email.subject).toBe(subject);
  });

  it('writes the restored email without a button, with a link to the connections', async () => {
    const email = await renderEmail('integration_restored', payload(), { now: NOW });

    expect(email.subject).toBe('Google is connected again');
    expect(joined(email.html)).toContain('>Google (dana@acme.example) is connected again. Your workflows have resumed.</p>');
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL)]);
    expect(email.text).toContain('Google (dana@acme.example) is connected again. Your workflows have resumed.');
    expect(email.text).toContain(`View connections ${RECONNECT_URL}`);
  });

  it('names the provider alone when the connection has no account label', async () => {
    const email = await renderEmail('integration_warning', payload({ account_label: null }), { now: NOW });
    expect(email.text).toContain("We're having trouble connecting to Google. Please check your connection.");
    expect(email.html).not.toContain('()');
  });

  it.each(ALL_TEMPLATES)('%s has the Tokenwarden header and footer in both parts and fetches nothing', async (template) => {
    const email = await renderEmail(template, payload({ reason: REASON, expires_at: '2026-11-25T09:00:00Z' }), { now: NOW });
    const footer = 'You get this email because you manage this connection in Tokenwarden.';

    for (const part of [email.html, email.text]) {
      expect(part).toContain('Tokenwarden');
      expect(part).toContain(footer);
      expect(part).toContain('Google');
    }
    expect(email.text.startsWith('Tokenwarden\n')).toBe(true);
    // No images, no web fonts, no stylesheet: the only URLs are links to the action.
    expect(email.html).not.toMatch(/<img|<link|@import|@font-face|url\(|src=/i);
    expect(hrefs(email.html).every((href) => href === attr(RECONNECT_URL))).toBe(true);
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it.each(ALL_TEMPLATES)('%s escapes markup in the provider name and reason', async (template) => {
    const hostile = payload({
      provider_name: '<script>alert(1)</script>Evil',
      account_label: '"><img src=x onerror=alert(2)>',
      reason: '<b onclick="steal()">boom</b>',
    });
    const email = await renderEmail(template, hostile, { now: NOW });

    expect(email.html).not.toContain('<script');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b ');
    expect(joined(email.html)).toContain('&lt;script&gt;alert(1)&lt;/script&gt;Evil');
    if (template === 'integration_disconnected') expect(email.html).toContain('&lt;b onclick=&quot;steal()&quot;&gt;boom&lt;/b&gt;');
    // The text part is not HTML: it carries the name as written, and the subject stays plain text.
    expect(email.text).toContain('<script>alert(1)</script>Evil');
    expect(email.subject).toContain('<script>alert(1)</script>Evil');
  });

  it('keeps the subject on one line whatever the provider name holds', async () => {
    const email = await renderEmail('integration_restored', payload({ provider_name: 'Goo\r\ngle\nBcc: x@evil.example' }), { now: NOW });
    expect(email.subject).toBe('Goo gle Bcc: x@evil.example is connected again');
  });
});

describe('emailPayloadSchema', () => {
  const row = {
    provider: 'google',
    provider_name: 'Google',
    account_label: 'dana@acme.example',
    title: 'Google disconnected',
    message: 'Google disconnected. Your workflows are paused. Reconnect now.',
    reason: REASON,
    action_url: RECONNECT_URL,
  };

  it('accepts a payload as lib/refresh/record.ts writes it, with unknown keys', () => {
    const parsed = emailPayloadSchema.parse({ ...row, integration_id: 'int-1' });
    expect(parsed).toMatchObject(row);
    expect(parsed.action_url).toBe(RECONNECT_URL);
  });

  it('accepts an expiring payload with an ISO expiry', () => {
    expect(emailPayloadSchema.parse({ ...row, expires_at: '2026-11-25T09:00:00.000Z' }).expires_at).toBe('2026-11-25T09:00:00.000Z');
    expect(emailPayloadSchema.safeParse({ ...row, expires_at: 'next tuesday' }).success).toBe(false);
  });

  it.each(['provider_name', 'action_url'] as const)('refuses a payload missing %s', (key) => {
    const { [key]: _dropped, ...rest } = row;
    expect(emailPayloadSchema.safeParse(rest).success).toBe(false);
  });

  it.each(['/integrations/int-1/reconnect', 'app.example.test/reconnect', 'javascript:alert(1)', 'mailto:dana@acme.example'])(
    'refuses the non-absolute or non-web action_url %s',
    (actionUrl) => {
      expect(emailPayloadSchema.safeParse({ ...row, action_url: actionUrl }).success).toBe(false);
    },
  );

  it('refuses an empty provider name', () => {
    expect(emailPayloadSchema.safeParse({ ...row, provider_name: '  ' }).success).toBe(false);
  });
});

describe('isEmailTemplate', () => {
  it.each(ALL_TEMPLATES)('knows %s', (template) => {
    expect(isEmailTemplate(template)).toBe(true);
  });

  it.each(['integration_rate_limit', 'integration_token_refreshed', '', 'toString', '__proto__', 'INTEGRATION_WARNING'])(
    'refuses %j',
    (value) => {
      expect(isEmailTemplate(value)).toBe(false);
    },
  );
});
