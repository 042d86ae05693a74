import type { Queryable } from '../db/client';

/**
 * Operators are the addresses of OPERATOR_EMAILS, but a session only proves an account, not
 * that its owner holds the address written on it: Supabase lets anyone sign up with any
 * address. So an account counts as the operator it names only once that address is verified:
 * confirmed by Supabase Auth (`email_confirmed_at`), or vouched for by whoever holds the
 * service key, through `app_metadata` (which users cannot write): `{"tokenwarden_role": "operator"}`.
 * Read from auth.users on each request, so revoking either takes effect at once.
 */

export const OPERATOR_APP_METADATA = { key: 'tokenwarden_role', value: 'operator' } as const;

export async function isOperator(db: Queryable, userId: string, operatorEmails: readonly string[]): Promise<boolean> {
  if (operatorEmails.length === 0) return false;
  const [row] = await db.query<{ operator: boolean }>(
    `select lower(u.email) in (select value from jsonb_array_elements_text($2::jsonb))
              and (u.email_confirmed_at is not null or coalesce(u.raw_app_meta_data ->> $3, '') = $4) as operator
     from auth.users u where u.id = $1`,
    [userId, JSON.stringify(operatorEmails.map((email) => email.toLowerCase())), OPERATOR_APP_METADATA.key, OPERATOR_APP_METADATA.value],
  );
  return row?.operator === true;
}
