import type { PassSettings } from '@/lib/refresh/deps';

/**
 * The pass settings for the console's Trigger refresh: the configured ones, with the time
 * budget cut to end 10 s before the route's maxDuration. REFRESH_TIME_BUDGET_SECONDS (240 s by
 * default) is sized for the cron route's 300 s; past the console route's limit the platform
 * kills the pass mid-flight (leases held until they lapse, a rotated refresh token possibly
 * lost, the operator shown a timeout instead of the summary). Out of budget, the pass stops
 * cleanly and says so (budgetExhausted); the cron takes the rest.
 */
export function operatorPassSettings(settings: PassSettings, maxDurationSeconds: number): PassSettings {
  return { ...settings, timeBudgetMs: Math.min(settings.timeBudgetMs, Math.max(1, maxDurationSeconds - 10) * 1000) };
}
