import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { findUserIdByEmail } from '@/lib/db/users';
import { getKeyRing } from '@/lib/runtime';
import { createLocalSession, LOCAL_SESSION_COOKIE, LOCAL_SESSION_TTL_SECONDS } from '@/lib/auth/local-session';
import { localSignInAllowed } from '@/lib/local-auth';
import { isSameOrigin } from '@/lib/auth/same-origin';
import { readFormBody } from '@/lib/http/read-body';
import { limitedPerClient } from '@/app/_server/rate-limit';

export const dynamic = 'force-dynamic';

const formSchema = z.object({ email: z.email('must be an email address') });

/**
 * The embedded demo's sign-in. Refused outright unless lib/local-auth.ts allows it here.
 * 20 a minute per client (`sign_in`, lib/auth/client-ip.ts; fails closed with a 503).
 */
export async function POST(request: Request) {
  return limitedPerClient('sign_in', request, null, () => signIn(request));
}

async function signIn(request: Request): Promise<Response> {
  if (!localSignInAllowed(getEnv())) {
    return NextResponse.json(
      { error: 'Local sign-in is off: it needs TOKENWARDEN_LOCAL_AUTH=1 on a machine with its own database. Deployments sign in with Supabase Auth.' },
      { status: 403 },
    );
  }
  if (!isSameOrigin(request)) {
    return NextResponse.json({ error: 'Cross-site request refused' }, { status: 403 });
  }
  const form = await readFormBody(request);
  if (!form.ok) return form.response;
  const parsed = formSchema.safeParse({ email: form.value.get('email') });
  if (!parsed.success) {
    return NextResponse.json({ error: 'Invalid sign-in', field: 'email', message: parsed.error.issues[0]?.message }, { status: 400 });
  }
  const db = await getDb();
  const userId = await findUserIdByEmail(db, parsed.data.email);
  if (!userId) {
    return NextResponse.json({ error: 'No such user', field: 'email' }, { status: 400 });
  }
  // Relative: the browser stays on the host it used (request.url may name another, e.g. in next dev).
  const response = new NextResponse(null, { status: 303, headers: { location: '/' } });
  response.cookies.set(LOCAL_SESSION_COOKIE, createLocalSession(getKeyRing(), userId), {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: LOCAL_SESSION_TTL_SECONDS,
  });
  return response;
}
