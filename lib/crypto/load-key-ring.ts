import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Env } from '../env';
import { encryptionKeySchema } from '../env';
import { KeyRing } from './key-ring';
import { dataDir } from '../data-dir';

/** The generated key's file in the data folder (the demo on `next start` passes it on as TOKEN_ENCRYPTION_KEYS). */
export const DEV_KEY_FILE = 'encryption-keys';

/**
 * The key ring from TOKEN_ENCRYPTION_KEYS. For the embedded database only (no DATABASE_URL,
 * not production), when unset, a key is generated once into the data folder so the demo and
 * local development need no setup. Never for a database server: a key generated on one
 * machine would seal tokens in a database others share that nobody else could open, and
 * lose them with that folder. Production refuses to start without keys (see lib/env.ts).
 */
export function loadKeyRing(env: Env): KeyRing {
  if (env.TOKEN_ENCRYPTION_KEYS) return new KeyRing(env.TOKEN_ENCRYPTION_KEYS);
  if (env.NODE_ENV === 'production') {
    throw new Error('TOKEN_ENCRYPTION_KEYS is required when NODE_ENV=production');
  }
  if (env.DATABASE_URL) {
    throw new Error(
      'TOKEN_ENCRYPTION_KEYS is required when DATABASE_URL is set (a key is generated only for the embedded database); ' +
        'create one with `openssl rand -base64 32` and set TOKEN_ENCRYPTION_KEYS=<keyId>:<key>',
    );
  }
  const dir = dataDir(env);
  const file = join(dir, DEV_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(file, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first: use theirs, never overwrite a key in use.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const parsed = encryptionKeySchema.safeParse(readFileSync(file, 'utf8').trim());
  if (!parsed.success || !parsed.data) {
    throw new Error(`${file} does not hold a valid key list (keyId:base64key); delete it to generate a new one`);
  }
  return new KeyRing(parsed.data);
}
