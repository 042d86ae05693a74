import { describe, expect, it } from 'vitest';
import { healthOf, healthOfRow, type HealthInput } from '../../lib/owed/health';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const HOUR = 3_600_000;
const healthy: HealthInput = { status: 'connected', consecutive_failures: 0, consecutive_transient_failures: 0, ends_at: null };

// Only what connectionEnd asks of the registry: the provider's refresh grant.
const providers = {
  get: (id: string) =>
    ({ google: { refreshGrant: 'refresh_token' }, slack: { refreshGrant: 'none' } })[id] as never,
};

describe('healthOf', () => {
  it('is green for a connected connection with no failures and nothing ending', () => {
    expect(healthOf(healthy, NOW)).toEqual({ tone: 'green', label: 'Healthy' });
  });

  it('is yellow, "Retrying", with either counter above zero', () => {
    expect(healthOf({ ...healthy, consecutive_transient_failures: 2 }, NOW)).toMatchObject({ tone: 'yellow', label: 'Retrying', reason: '2 failed attempts in a row; retrying automatically.' });
    expect(healthOf({ ...healthy, consecutive_failures: 1 }, NOW)).toMatchObject({ tone: 'yellow', label: 'Retrying', reason: '1 failed attempt in a row; retrying automatically.' });
  });

  it('is yellow, "Ends soon", when it ends within 7 days with nothing able to renew it', () => {
    expect(healthOf({ ...healthy, ends_at: new Date(NOW.getTime() + 3 * 24 * HOUR) }, NOW)).toMatchObject({ tone: 'yellow', label: 'Ends soon', reason: 'Stops working in 3 days; reconnect to keep it.' });
    expect(healthOf({ ...healthy, ends_at: new Date(NOW.getTime() + 8 * 24 * HOUR) }, NOW).tone).toBe('green');
  });

  it('is red for needs_reauthorization and disconnected, with the reason', () => {
    expect(healthOf({ ...healthy, status: 'needs_reauthorization', disconnect_reason: 'Access revoked at Xero' }, NOW)).toEqual({ tone: 'red', label: 'Needs reconnecting', reason: 'Access revoked at Xero' });
    expect(healthOf({ ...healthy, status: 'needs_reauthorization' }, NOW).reason).toBeTruthy();
    expect(healthOf({ ...healthy, status: 'disconnected', disconnect_reason: 'Disconnected by dana' }, NOW)).toEqual({ tone: 'red', label: 'Disconnected', reason: 'Disconnected by dana' });
    expect(healthOf({ ...healthy, status: 'disconnected', consecutive_failures: 3 }, NOW).tone).toBe('red');
  });
});

describe('healthOfRow', () => {
  it('a healthy 1-hour Google token right after its refresh is green: the cron renews it', () => {
    const row = { ...healthy, provider: 'google', expires_at: new Date(NOW.getTime() + HOUR), refresh_token_expires_at: null, has_refresh_token: true };
    expect(healthOfRow(row, providers, NOW)).toEqual({ tone: 'green', label: 'Healthy' });
  });

  it('an access token nothing can renew, ending in an hour, is yellow', () => {
    const row = { ...healthy, provider: 'slack', expires_at: new Date(NOW.getTime() + HOUR), refresh_token_expires_at: null, has_refresh_token: false };
    expect(healthOfRow(row, providers, NOW)).toMatchObject({ tone: 'yellow', label: 'Ends soon' });
    expect(healthOfRow({ ...row, provider: 'google' }, providers, NOW).tone).toBe('yellow'); // no refresh token to renew with
  });

  it('a refresh token ending within 7 days is yellow even when the cron renews the access token', () => {
    const row = { ...healthy, provider: 'google', expires_at: new Date(NOW.getTime() + HOUR), refresh_token_expires_at: new Date(NOW.getTime() + 2 * 24 * HOUR), has_refresh_token: true };
    expect(healthOfRow(row, providers, NOW)).toMatchObject({ tone: 'yellow', label: 'Ends soon', reason: 'Stops working in 2 days; reconnect to keep it.' });
  });

  it('a token that does not expire is green', () => {
    const row = { ...healthy, provider: 'slack', expires_at: null, refresh_token_expires_at: null, has_refresh_token: false };
    expect(healthOfRow(row, providers, NOW).tone).toBe('green');
  });
});

describe('healthOfRow, a connection that has already ended', () => {
  it('an access token nothing can renew that has already expired is red, not green', () => {
    const row = { ...healthy, provider: 'slack', expires_at: new Date(NOW.getTime() - HOUR), refresh_token_expires_at: null, has_refresh_token: false };
    expect(healthOfRow(row, providers, NOW)).toMatchObject({ tone: 'red', label: 'Expired' });
    expect(healthOfRow({ ...row, provider: 'google' }, providers, NOW).tone).toBe('red'); // no refresh token to renew with
  });

  it('a refresh token already past its end is red even when an access token is still valid', () => {
    const row = { ...healthy, provider: 'google', expires_at: new Date(NOW.getTime() + HOUR), refresh_token_expires_at: new Date(NOW.getTime() - 1), has_refresh_token: true };
    expect(healthOfRow(row, providers, NOW)).toMatchObject({ tone: 'red', label: 'Expired' });
  });

  it('an expired access token the cron renews stays green: the next pass refreshes it', () => {
    const row = { ...healthy, provider: 'google', expires_at: new Date(NOW.getTime() - 60_000), refresh_token_expires_at: null, has_refresh_token: true };
    expect(healthOfRow(row, providers, NOW).tone).toBe('green');
  });
});
