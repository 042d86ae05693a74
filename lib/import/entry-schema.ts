import { z } from 'zod';

/**
 * One entry of an import file (docs/contracts.md §1). Strict: an unknown key is refused rather than
 * ignored, because a misspelt "refresh_tokn" would otherwise import a connection that
 * cannot refresh.
 */
export const importEntrySchema = z
  .strictObject({
    user_email: z.email('must be an email address').transform((email) => email.toLowerCase()),
    provider: z.string().min(1, 'must not be empty'),
    access_token: z.string().min(1, 'must not be empty'),
    refresh_token: z.string().min(1, 'must not be empty when given').optional(),
    expires_at: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-11-25T10:00:00Z' }).optional(),
    expires_in: z
      .number('must be a number of seconds')
      .int('must be a whole number of seconds')
      .positive('must be greater than 0')
      .max(10 * 365 * 24 * 3600, 'must be at most ten years')
      .optional(),
    refresh_token_expires_at: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-11-25T10:00:00Z' })
      .optional(),
    scopes: z.array(z.string().min(1, 'must not contain empty scopes'), 'must be an array of strings').optional(),
    account_label: z.string().trim().min(1, 'must not be blank when given').max(200, 'must be at most 200 characters').optional(),
    organization: z.string().trim().min(1, 'must not be blank when given').max(200, 'must be at most 200 characters').optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.expires_at !== undefined && entry.expires_in !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expires_in'], message: 'give expires_at or expires_in, not both' });
    }
  });

export type ImportEntry = z.infer<typeof importEntrySchema>;
