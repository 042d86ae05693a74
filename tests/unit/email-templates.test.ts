import { describe, expect, it } from 'vitest';
import { emailPayloadSchema, isEmailTemplate, renderEmail, type EmailPayload, type EmailTemplate } from '../../lib/notify/templates';
import { disconnectedMessage, expiringMessage, restoredMessage, warningMessage } from '../../lib/owed/messages';

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

/**
 * The payload as lib/owed/owed-rows.ts writes it: the title and message are the policy's
 * (lib/owed/messages.ts). Issue 8 item 7: the emails render these as written; the
 * assertions on the templates' own re-worded sentences were replaced by these.
 */
function policyPayload(template: EmailTemplate, overrides: Partial<EmailPayload> = {}): EmailPayload {
  const name = overrides.provider_name ?? 'Google';
  const about = { name, reconnectUrl: RECONNECT_URL, streak: 'int-1/1' };
  const message =
    template === 'integration_warning'
      ? warningMessage(about)
      : template === 'integration_disconnected'
        ? disconnectedMessage(about, overrides.reason ?? REASON)
        : template === 'integration_restored'
          ? restoredMessage(about)
          : expiringMessage({ integrationId: 'int-1', providerName: name, end: new Date('2026-11-25T09:00:00.000Z'), now: NOW, reconnectUrl: RECONNECT_URL });
  return payload({
    title: message.title,
    message: message.message,
    ...(message.expiresAt ? { expires_at: message.expiresAt.toISOString() } : {}),
    ...overrides,
  });
}

describe('renderEmail', () => {
  it.each(ALL_TEMPLATES)('%s says what the policy wrote: its title is the subject and the heading, its message the first paragraph', async (template) => {
    const written = policyPayload(template, { reason: template === 'integration_disconnected' ? REASON : null });
    const email = await renderEmail(template, written);

    expect(email.subject).toBe(written.title);
    expect(email.text.startsWith(`Tokenwarden\n\n${written.title}\n\n${written.message}\n\nAccount: dana@acme.example`)).toBe(true);
    expect(joined(email.html)).toContain(`>${written.title.replaceAll("'", '&#x27;')}</p>`);
    // Each sentence once: the template adds no wording of its own to the policy's.
    expect(email.text.split(written.message)).toHaveLength(2);
  });

  it('writes the "having trouble" email with the account and a check-connection button', async () => {
    const email = await renderEmail('integration_warning', policyPayload('integration_warning'));

    expect(email.subject).toBe('Trouble connecting to Google');
    expect(joined(email.html)).toContain('We&#x27;re having trouble connecting to Google. Please check your connection.');
    expect(email.html).toContain(`href="${attr(RECONNECT_URL)}"`);
    expect(email.html).toContain('Check connection');
    expect(email.text).toContain('Account: dana@acme.example');
    expect(email.text).toContain(`Check connection ${RECONNECT_URL}`);
  });

  it('writes the disconnected email with the reason once (the end of the policy\'s message), a reconnect button and the link written out', async () => {
    const email = await renderEmail('integration_disconnected', policyPayload('integration_disconnected', { reason: REASON }));

    expect(email.subject).toBe('Google disconnected');
    expect(joined(email.html)).toContain(`>Google disconnected. Your workflows are paused. Reconnect now. ${REASON.replaceAll("'", '&#x27;')}</p>`);
    expect(email.text.split(REASON)).toHaveLength(2);
    expect(joined(email.html)).toContain('>Reconnect Google</span>');
    // The button and the written-out URL both point at the exact reconnect link.
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL), attr(RECONNECT_URL)]);
    expect(email.html).toContain(`>${attr(RECONNECT_URL)}</a>`);

    expect(email.text).toContain(`Reconnect Google ${RECONNECT_URL}`);
    // Written out once: the copy-this-link fallback is for HTML clients only.
    expect(email.text.split(RECONNECT_URL)).toHaveLength(2);
  });

  it('writes the expiring email with the policy\'s expiry phrase and the UTC end', async () => {
    const email = await renderEmail('integration_token_expiring', policyPayload('integration_token_expiring'));

    expect(email.subject).toBe('Google connection expires in 3 days');
    expect(joined(email.html)).toContain('Ends: 25 Nov 2026, 09:00 UTC');
    expect(email.text).toContain('Your Google connection expires in 3 days and cannot be renewed automatically. Reconnect before 2026-11-25');
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL), attr(RECONNECT_URL)]);
    expect(email.text).toContain(`Reconnect Google ${RECONNECT_URL}`);
  });

  it('writes the restored email without a button, with a link to the connections', async () => {
    const email = await renderEmail('integration_restored', policyPayload('integration_restored'));

    expect(email.subject).toBe('Google reconnected');
    expect(joined(email.html)).toContain('>Google is connected again.</p>');
    expect(hrefs(email.html)).toEqual([attr(RECONNECT_URL)]);
    expect(email.text).toContain(`View connections ${RECONNECT_URL}`);
  });

  it('names the provider alone when the connection has no account label', async () => {
    const email = await renderEmail('integration_warning', policyPayload('integration_warning', { account_label: null }));
    expect(email.text).toContain("We're having trouble connecting to Google. Please check your connection.");
    expect(email.text).not.toContain('Account:');
    expect(email.html).not.toContain('()');
  });

  it.each(ALL_TEMPLATES)('%s has the Tokenwarden header and footer in both parts and fetches nothing', async (template) => {
    const email = await renderEmail(template, policyPayload(template, { reason: REASON }));
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
    const hostile = policyPayload(template, {
      provider_name: '<script>alert(1)</script>Evil',
      account_label: '"><img src=x onerror=alert(2)>',
      reason: '<b onclick="steal()">boom</b>',
    });
    const email = await renderEmail(template, hostile);

    expect(email.html).not.toContain('<script');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b ');
    expect(joined(email.html)).toContain('&lt;script&gt;alert(1)&lt;/script&gt;Evil');
    if (template === 'integration_disconnected') expect(email.html).toContain('&lt;b onclick=&quot;steal()&quot;&gt;boom&lt;/b&gt;');
    // The text part is not HTML: it carries the name as written, and the subject stays plain text.
    expect(email.text).toContain('<script>alert(1)</script>Evil');
    expect(email.subject).toContain('<script>alert(1)</script>Evil');
  });

  it('keeps the subject on one line whatever the title holds', async () => {
    const email = await renderEmail('integration_restored', policyPayload('integration_restored', { provider_name: 'Goo\r\ngle\nBcc: x@evil.example' }));
    expect(email.subject).toBe('Goo gle Bcc: x@evil.example reconnected');
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
