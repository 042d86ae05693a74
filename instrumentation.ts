/**
 * Runs once when the server starts: a wrong configuration stops start-up here, with the
 * variable named, instead of surfacing on some later request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkStartup } = await import('./lib/startup-check');
    checkStartup();
  }
}
