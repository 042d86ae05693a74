import { z } from 'zod';
import type * as React from 'react';

export type EmailTemplate =
  | 'integration_warning'
  | 'integration_disconnected'
  | 'integration_token_expiring'
  | 'integration_restored';

/**
 * What an email_outbox row's `payload` holds (lib/owed/owed-rows.ts): the title and message
 * the policy wrote are the email's subject, heading and first paragraph, as written.
 */
export interface EmailPayload {
  provider: string;
  provider_name: string;
  account_label: string | null;
  title: string;
  message: string;
  /** Why it disconnected (integration_disconnected only). */
  reason: string | null;
  /** Absolute reconnect link on APP_URL. */
  action_url: string;
  /** ISO timestamp, for integration_token_expiring. */
  expires_at?: string | null;
}

/**
 * A payload read back from the database. Unknown keys are accepted (and dropped) so an
 * older renderer still reads rows written by a newer recorder. The link must be absolute
 * http(s): a relative or `javascript:` link in an email is either dead or dangerous.
 */
export const emailPayloadSchema: z.ZodType<EmailPayload> = z.object({
  provider: z.string().min(1),
  provider_name: z.string().trim().min(1),
  account_label: z.string().nullable().default(null),
  title: z.string().trim().min(1),
  message: z.string().trim().min(1),
  reason: z.string().nullable().default(null),
  action_url: z.url({ protocol: /^https?$/ }),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

export interface TemplateProps {
  payload: EmailPayload;
}

/** One email's body component (the HTML; the text part is derived). Its subject is the payload's title. */
export interface TemplateDefinition {
  Email: (props: TemplateProps) => React.ReactElement;
}
