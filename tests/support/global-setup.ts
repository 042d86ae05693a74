import { postgresAnswers } from './database';
import { redisAnswers, REDIS_HOST, REDIS_PORT } from './redis';

/**
 * Runs once before the suites. With REQUIRE_SERVICES=1 (CI) a missing PostgreSQL or Redis
 * fails the whole run here instead of letting tests fall back to embedded stand-ins.
 */
export default async function setup(): Promise<void> {
  const required = process.env.REQUIRE_SERVICES === '1';
  const postgres = await postgresAnswers(); // throws itself when required and missing
  if (!postgres) console.warn('PostgreSQL does not answer: database tests run on embedded PGlite instead.');
  const redis = await redisAnswers();
  if (!redis && required) {
    throw new Error(`REQUIRE_SERVICES=1 but Redis does not answer at ${REDIS_HOST}:${REDIS_PORT}`);
  }
}
