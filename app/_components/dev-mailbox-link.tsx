import Link from 'next/link';
import { connection } from 'next/server';
import { getEnv } from '@/lib/env';
import { localSignInAllowed } from '@/lib/local-auth';

/** The nav link to the dev mailbox, only where the mailbox exists: decided per request, not at build. */
export async function DevMailboxLink() {
  await connection();
  return localSignInAllowed(getEnv()) ? <Link href="/dev/mailbox">Dev mailbox</Link> : null;
}
