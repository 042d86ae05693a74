import { NextResponse } from 'next/server';
import { LOCAL_SESSION_COOKIE } from '@/lib/auth/local-session';
import { isSameOrigin } from '@/app/_server/same-origin';

export const dynamic = 'force-dynamic';

export async function POST(request: Request) {
  if (!isSameOrigin(request)) {
    return NextResponse.json({ error: 'Cross-site request refused' }, { status: 403 });
  }
  const response = new NextResponse(null, { status: 303, headers: { location: '/sign-in' } });
  response.cookies.delete(LOCAL_SESSION_COOKIE);
  return response;
}
