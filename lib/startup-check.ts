import { getEnv } from './env';
import { getKeyRing, getProviders } from './runtime';

/** Parses the environment, key ring and providers file; exits naming what is wrong. */
export function checkStartup(): void {
  try {
    getEnv();
    getKeyRing();
    getProviders();
  } catch (error) {
    console.error(`Tokenwarden cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
