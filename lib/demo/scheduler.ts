import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The demo's stand-in for Vercel Cron: reads the `crons` of vercel.json and calls each path
 * on its schedule with `Authorization: Bearer $CRON_SECRET`, as Vercel does. The 5-minute
 * token refresh can be sped up (DEMO_TICK_SECONDS) so a visitor sees it work.
 */

const vercelJsonSchema = z.object({
  crons: z.array(z.object({ path: z.string().startsWith('/'), schedule: z.string().min(9) })).default([]),
});

export interface ScheduledCron {
  path: string;
  schedule: string;
}

export function readCrons(file = 'vercel.json'): ScheduledCron[] {
  return vercelJsonSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).crons;
}

export interface Scheduler {
  stop(): void;
}

export function startScheduler(options: {
  appUrl: string;
  cronSecret: string;
  crons: ScheduledCron[];
  /** Run this path every N seconds instead of its schedule. */
  fastPath?: { path: string; everySeconds: number };
  log: (line: string) => void;
  fetch?: typeof fetch;
}): Scheduler {
  const doFetch = options.fetch ?? globalThis.fetch;
  const running = new Set<string>();

  const call = async (path: string) => {
    if (running.has(path)) return; // Vercel would not overlap a slow invocation either here
    running.add(path);
    const started = Date.now();
    try {
      const response = await doFetch(`${options.appUrl}${path}`, {
        headers: { authorization: `Bearer ${options.cronSecret}` },
        signal: AbortSignal.timeout(300_000),
      });
      const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
      options.log(`${path} → ${response.status} in ${Date.now() - started} ms ${summarise(body)}`);
    } catch (error) {
      options.log(`${path} → failed: ${error instanceof Error ? error.message : String(error)} (will retry on schedule)`);
    } finally {
      running.delete(path);
    }
  };

  const jobs: Cron[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (const cron of options.crons) {
    if (options.fastPath?.path === cron.path) {
      timers.push(setInterval(() => void call(cron.path), options.fastPath.everySeconds * 1000));
      setTimeout(() => void call(cron.path), 5_000);
      options.log(`${cron.path}: every ${options.fastPath.everySeconds} s (DEMO_TICK_SECONDS; vercel.json says ${cron.schedule})`);
    } else {
      jobs.push(new Cron(cron.schedule, () => void call(cron.path)));
      options.log(`${cron.path}: ${cron.schedule}`);
    }
  }
  return {
    stop() {
      for (const job of jobs) job.stop();
      for (const timer of timers) clearInterval(timer);
    },
  };
}

function summarise(body: Record<string, unknown> | null): string {
  if (!body) return '';
  const parts: string[] = [];
  const skip = new Set(['ok', 'durationMs', 'days', 'retentionDays']);
  for (const [key, value] of Object.entries(body)) {
    if (skip.has(key)) continue;
    if (typeof value === 'number') parts.push(`${key}=${value}`);
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, count] of Object.entries(value)) if (typeof count === 'number') parts.push(`${key}.${inner}=${count}`);
    }
  }
  return parts.length ? `(${parts.join(' ')})` : typeof body.error === 'string' ? `(${body.error})` : '';
}
