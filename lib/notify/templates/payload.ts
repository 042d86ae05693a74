import { z } from 'zod';
import type * as React from 'react';

export type EmailTemplate =
  | 'integration_warning'
  | 'integration_disconnected'
  | 'integration_token_expiring'
  | 'integration_restored';

/** What an email_outbox row's `payload` holds (written by lib/refresh/record.ts). */
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
  title: z.string(),
  message: z.string(),
  reason: z.string().nullable().default(null),
  action_url: z.url({ protocol: /^https?$/ }),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

export interface TemplateProps {
  payload: EmailPayload;
  /** The moment of rendering: relative wording ("expires in 3 days") is computed from it. */
  now: Date;
}

/** One email: its subject line and its body component (the HTML; the text part is derived). */
export interface TemplateDefinition {
  subject: (props: TemplateProps) => string;
  Email: (props: TemplateProps) => React.ReactElement;
}
