import type { OutcomeType } from '../../lib/refresh/outcome';

/** The sentence classify writes for an OAuth error body: built from the type and the code only. */
export const MESSAGE_FOR: Record<Exclude<OutcomeType, 'refreshed'>, (code: string) => string> = {
  invalid_grant: (code) => `The provider no longer accepts this connection's refresh token (${code})`,
  config: (code) => `The provider refused the app's credentials or request (${code}); this is an app configuration problem`,
  transient: (code) => `The provider is temporarily unavailable (${code})`,
  auth: (code) => `The provider refused the refresh (${code})`,
};
