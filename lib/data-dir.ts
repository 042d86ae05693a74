import { resolve } from 'node:path';
import type { Env } from './env';

/** The folder for the embedded database and generated development secrets. */
export function dataDir(env: Pick<Env, 'TOKENWARDEN_DATA_DIR'>): string {
  return resolve(env.TOKENWARDEN_DATA_DIR ?? '.data');
}
