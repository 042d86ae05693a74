import { redirect } from 'next/navigation';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { localSignInAllowed } from '@/lib/auth/local-session';
import { getCurrentUser } from '../_server/current-user';

export const dynamic = 'force-dynamic';

export default async function SignInPage() {
  if (await getCurrentUser()) redirect('/');
  if (!localSignInAllowed(getEnv().NODE_ENV)) {
    return (
      <div className="card">
        <h1>Sign in</h1>
        <p className="muted">This deployment signs users in with Supabase Auth. Local sign-in is disabled in production.</p>
      </div>
    );
  }
  const db = await getDb();
  const users = await db.query<{ email: string; connections: number }>(
    `select u.email, (select count(*)::int from public.integrations i where i.user_id = u.id) as connections
     from auth.users u order by connections desc, u.email limit 20`,
  );
  return (
    <div className="card">
      <h1>Sign in</h1>
      <p className="muted">Local sign-in for the embedded demo and development. Production refuses it.</p>
      <ul className="users">
        {users.map((user, index) => (
          <li key={user.email}>
            <form method="post" action="/api/auth/local-sign-in" className="row">
              <input type="hidden" name="email" value={user.email} />
              <span>
                {user.email} <span className="muted">({user.connections} connections)</span>
              </span>
              <button type="submit" className={index === 0 ? 'primary' : undefined}>
                Continue as {user.email.split('@')[0]}
              </button>
            </form>
          </li>
        ))}
      </ul>
      {users.length === 0 ? <p className="muted">No users yet: run the demo seed or import connections.</p> : null}
    </div>
  );
}
