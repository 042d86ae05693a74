import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookFetch, PrivateDestinationError } from '../../lib/notify/destination-guard';
import { isPrivateAddress } from '../../lib/net/addresses';
import { productionDestinationProblem } from '../../lib/notify/webhook-endpoints';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { createDeliverDeps } from '../../lib/notify/deps';
import { parseEnv } from '../../lib/env';
import { createTestDatabase } from '../support/database';
import { testKeyRing } from '../support/fixtures';

describe('webhook destinations in production', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => receiver?.close());

  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '[::1]', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1'])(
    'treats %s as private',
    (address) => {
      expect(isPrivateAddress(address)).toBe(true);
    },
  );

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', 'hooks.example.com'])('treats %s as public (or not an address)', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('refuses to register loopback and private endpoints', () => {
    expect(productionDestinationProblem('https://localhost/hook')).toMatch(/loopback or private/);
    expect(productionDestinationProblem('https://169.254.169.254/latest/meta-data')).toMatch(/loopback or private/);
    expect(productionDestinationProblem('https://hooks.example.com/tw')).toBeNull();
  });

  it('refuses to deliver to a private address literal, and to a name that resolves to one', async () => {
    const guarded = createWebhookFetch({ allowPrivate: false });
    const literal = await guarded(`${receiver.url}/hook`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(literal).toBeInstanceOf(TypeError);
    expect((literal as TypeError).cause).toBeInstanceOf(PrivateDestinationError);
    const named = await guarded(`http://localhost:${receiver.port}/hook`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(named).toBeInstanceOf(TypeError);
    expect(receiver.requests).toHaveLength(0);
  });

  it.each(['development', 'test'])('guards the deliver job outside production too (NODE_ENV=%s)', async (nodeEnv) => {
    const t = await createTestDatabase({ migrated: false });
    try {
      const deps = createDeliverDeps({ db: t.db, keyRing: testKeyRing(), env: parseEnv({ NODE_ENV: nodeEnv }) });
      const refused = await deps.fetch(`${receiver.url}/hook`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
      expect((refused as TypeError).cause).toBeInstanceOf(PrivateDestinationError);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await t.drop();
    }
  });

  it('delivers to this machine outside production (development and tests)', async () => {
    const open = createWebhookFetch({ allowPrivate: true });
    const response = await open(`${receiver.url}/hook`, { method: 'POST', body: '{}' });
    expect(response.status).toBeLessThan(300);
    expect(receiver.requests).toHaveLength(1);
  });
});
