import { createElement } from 'react';
import { render } from '@react-email/components';
import { oneLine } from './format';
import { integrationDisconnected } from './integration-disconnected';
import { integrationRestored } from './integration-restored';
import { integrationTokenExpiring } from './integration-token-expiring';
import { integrationWarning } from './integration-warning';
import type { EmailPayload, EmailTemplate, TemplateDefinition } from './payload';

export { emailPayloadSchema, type EmailPayload, type EmailTemplate } from './payload';

/** The templates as data: the outbox row's `template` column names one of these. */
const templates = {
  integration_warning: integrationWarning,
  integration_disconnected: integrationDisconnected,
  integration_token_expiring: integrationTokenExpiring,
  integration_restored: integrationRestored,
} as const satisfies Record<EmailTemplate, TemplateDefinition>;

/** html-to-text upper-cases headings and tables by default; keep names as written. */
const htmlToTextOptions = {
  selectors: [
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
};

export function isEmailTemplate(value: string): value is EmailTemplate {
  return Object.hasOwn(templates, value);
}

/**
 * Renders one email's subject, HTML and plain-text parts. The payload is trusted to have
 * passed emailPayloadSchema; every payload string reaches the HTML as React text, so it
 * is escaped. The wording is the policy's, written when the row was: every retry of one
 * row sends the same body under the same Idempotency-Key.
 */
export async function renderEmail(template: EmailTemplate, payload: EmailPayload): Promise<{ subject: string; html: string; text: string }> {
  const definition: TemplateDefinition = templates[template];
  const element = createElement(definition.Email, { payload });
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true, htmlToTextOptions })]);
  return { subject: oneLine(payload.title), html, text: text.trim() };
}
