import { NextResponse } from 'next/server';
import { LOCAL_SESSION_COOKIE } from '@/lib/auth/local-session';
import { withUser } from '@/app/_server/with-user';

export const dynamic = 'force-dynamic';

/** Ends the local session; answers a visitor already signed out alike (still same-origin only). */
export const POST = withUser({ anonymous: true }, async () => {
  const response = new NextResponse(null, { status: 303, headers: { location: '/sign-in' } });
  response.cookies.delete(LOCAL_SESSION_COOKIE);
  return response;
});
