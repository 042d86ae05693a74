import { notFound } from 'next/navigation';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { isOperator } from '@/lib/auth/operators';
import { getCurrentUser, type CurrentUser } from '../../_server/current-user';

/** Every admin page starts here: 404 for anyone who is not a verified operator, signed out included, so the console's existence does not show. */
export async function requireOperator(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) notFound();
  if (!(await isOperator(await getDb(), user.id, getEnv().OPERATOR_EMAILS))) notFound();
  return user;
}

/** For the admin routes (withUser `visibleTo`): true only for a verified operator. */
export async function isOperatorUser(user: { id: string } | null): Promise<boolean> {
  return user !== null && (await isOperator(await getDb(), user.id, getEnv().OPERATOR_EMAILS));
}
