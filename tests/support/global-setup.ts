import { postgresAnswers } from './database';

/** Fails the whole run early when a required service is missing (REQUIRE_SERVICES=1). */
export default async function setup(): Promise<void> {
  const answers = await postgresAnswers();
  if (!answers) {
    console.warn('PostgreSQL does not answer: database tests run on embedded PGlite instead.');
  }
}
