import { resolve } from 'node:path';
import type { Env } from './env';

/** The folder for the embedded database and generated development secrets. */
export function dataDir(env: Pick<Env, 'TOKENWARDEN_DATA_DIR'>): string {
  // A run-time location, not a build input: keep the bundler from tracing the project.
  return resolve(/* turbopackIgnore: true */ process.cwd(), env.TOKENWARDEN_DATA_DIR ?? '.data');
}
