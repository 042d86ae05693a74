import type { Env } from '../env';
import type { Db } from '../db/client';
import type { KeyRing } from '../crypto/key-ring';
import { createResendMailer } from './mailer';
import type { DeliverDeps, DeliverOptions } from './deliver';
import { createWebhookFetch } from './destination-guard';

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The deliver route runs every minute; a pass stops picking up emails after this. */
export const DELIVER_TIME_BUDGET_MS = 45_000;
/**
 * Webhooks' own budget, beside the emails': a request started just before it ends may take
 * WEBHOOK_TIMEOUT_MS more, and 40 s + 10 s stays inside the route's 60 s maxDuration.
 */
export const WEBHOOK_TIME_BUDGET_MS = 40_000;

/** What the cron route and `tokenwarden deliver` run a pass with. */
export const DELIVER_OPTIONS = {
  timeBudgetMs: DELIVER_TIME_BUDGET_MS,
  webhookTimeBudgetMs: WEBHOOK_TIME_BUDGET_MS,
} as const satisfies DeliverOptions;

/** The production collaborators of the deliver job. */
export function createDeliverDeps(input: {
  db: Db;
  keyRing: KeyRing;
  env: Pick<Env, 'RESEND_API_KEY' | 'RESEND_BASE_URL' | 'EMAIL_FROM' | 'RESEND_MAX_PER_SECOND'>;
}): DeliverDeps {
  const { env } = input;
  return {
    db: input.db,
    mailer: env.RESEND_API_KEY ? createResendMailer(env.RESEND_API_KEY, { baseUrl: env.RESEND_BASE_URL }) : null,
    emailFrom: env.EMAIL_FROM ?? null,
    keyRing: input.keyRing,
    // Customers choose webhook URLs: they may never reach private networks, whatever NODE_ENV
    // says. Only tests deliver to this machine, with a fetch of their own.
    fetch: createWebhookFetch({ allowPrivate: false }),
    now: () => new Date(),
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    emailsPerSecond: env.RESEND_MAX_PER_SECOND,
    webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
  };
}
