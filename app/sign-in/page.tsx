import { redirect } from 'next/navigation';
import { getEnv } from '@/lib/env';
import { getDb } from '@/lib/db';
import { listSignInChoices } from '@/lib/db/users';
import { localSignInAllowed } from '@/lib/local-auth';
import { getCurrentUser } from '../_server/current-user';

export const dynamic = 'force-dynamic';

export default async function SignInPage() {
  if (await getCurrentUser()) redirect('/');
  const env = getEnv();
  if (!localSignInAllowed(env)) {
    return (
      <div className="card">
        <h1>Sign in</h1>
        <p className="muted">
          {env.SUPABASE_URL
            ? 'This deployment signs users in with Supabase Auth: sign in to the app that uses it, then come back.'
            : 'No sign-in is configured: set SUPABASE_URL and SUPABASE_ANON_KEY to sign in with Supabase Auth.'}{' '}
          Local sign-in is refused on deployments (VERCEL, VERCEL_ENV or SUPABASE_URL set, or a DATABASE_URL that is
          not on this machine); on your own machine, with its own database, TOKENWARDEN_LOCAL_AUTH=1 turns it on (npm run demo does).
        </p>
      </div>
    );
  }
  const db = await getDb();
  const users = await listSignInChoices(db);
  return (
    <div className="card">
      <h1>Sign in</h1>
      <p className="muted">Local sign-in for the embedded demo and development (TOKENWARDEN_LOCAL_AUTH=1). Deployments refuse it.</p>
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
