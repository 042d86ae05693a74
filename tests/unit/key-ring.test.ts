import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, TokenDecryptionError, tokenContext } from '../../lib/crypto/key-ring';
import { loadKeyRing } from '../../lib/crypto/load-key-ring';
import { parseEnv } from '../../lib/env';

const newKey = (id: string) => ({ id, key: randomBytes(32) });
const ctx = tokenContext.access('7d2c1c1e-0000-4000-8000-000000000001');

function failure(fn: () => unknown): TokenDecryptionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenDecryptionError) return error;
    throw error;
  }
  throw new Error('expected a TokenDecryptionError');
}

describe('KeyRing', () => {
  it('round-trips a token and never leaves it readable in the ciphertext', () => {
    const ring = new KeyRing([newKey('k1')]);
    const token = 'ya29.a0AfB_secret-access-token';
    const sealed = ring.encrypt(token, ctx);
    expect(sealed).toMatch(/^tw1\.k1\./);
    expect(sealed).not.toContain(token);
    expect(ring.decrypt(sealed, ctx)).toBe(token);
    expect(ring.encrypt(token, ctx)).not.toBe(sealed); // fresh IV every time
  });

  it('refuses a tampered ciphertext instead of returning anything', () => {
    const ring = new KeyRing([newKey('k1')]);
    const sealed = ring.encrypt('secret', ctx);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    const error = failure(() => ring.decrypt(parts.join('.'), ctx));
    expect(error.reason).toBe('tampered');
    expect(error.message).not.toContain('secret');
  });

  it('refuses a ciphertext moved to another row or field', () => {
    const ring = new KeyRing([newKey('k1')]);
    const sealed = ring.encrypt('secret', ctx);
    expect(failure(() => ring.decrypt(sealed, tokenContext.refresh('7d2c1c1e-0000-4000-8000-000000000001'))).reason).toBe('tampered');
    expect(failure(() => ring.decrypt(sealed, tokenContext.access('7d2c1c1e-0000-4000-8000-000000000002'))).reason).toBe('tampered');
  });

  it('refuses a ciphertext sealed with a key that is not in the ring', () => {
    const sealed = new KeyRing([newKey('old')]).encrypt('secret', ctx);
    const error = failure(() => new KeyRing([newKey('new')]).decrypt(sealed, ctx));
    expect(error.reason).toBe('unknown_key');
    expect(error.keyId).toBe('old');
    expect(error.message).toMatch(/key "old"/);
  });

  it('refuses plaintext and malformed values rather than passing them through', () => {
    const ring = new KeyRing([newKey('k1')]);
    expect(failure(() => ring.decrypt('plain-token', ctx)).reason).toBe('malformed');
    expect(failure(() => ring.decrypt('tw1.k1.x.y.z', ctx)).reason).toBe('malformed');
  });

  it('encrypts with the first key and still opens what older keys sealed', () => {
    const oldKey = newKey('2025');
    const sealedOld = new KeyRing([oldKey]).encrypt('secret', ctx);
    const ring = new KeyRing([newKey('2026'), oldKey]);
    expect(ring.activeKeyId).toBe('2026');
    expect(ring.decrypt(sealedOld, ctx)).toBe('secret');
    expect(KeyRing.keyIdOf(ring.encrypt('secret', ctx))).toBe('2026');
  });
});

describe('loadKeyRing', () => {
  it('generates a development key once into the data folder, readable only by the owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-keys-'));
    const env = parseEnv({ TOKENWARDEN_DATA_DIR: dir });
    const first = loadKeyRing(env);
    const sealed = first.encrypt('secret', ctx);
    const again = loadKeyRing(env);
    expect(again.decrypt(sealed, ctx)).toBe('secret');
    const file = join(dir, 'encryption-keys');
    expect(readFileSync(file, 'utf8')).toMatch(/^dev:/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never generates a key for a database server: without TOKEN_ENCRYPTION_KEYS it refuses, naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-keys-'));
    for (const url of ['postgres://postgres@127.0.0.1:5432/tw', 'postgresql://u:pw@db.example.com:5432/tw']) {
      const env = parseEnv({ TOKENWARDEN_DATA_DIR: dir, DATABASE_URL: url, NODE_ENV: 'development' });
      expect(() => loadKeyRing(env)).toThrow(/TOKEN_ENCRYPTION_KEYS is required when DATABASE_URL is set/);
    }
    expect(existsSync(join(dir, 'encryption-keys'))).toBe(false);
  });

  it('uses TOKEN_ENCRYPTION_KEYS when set', () => {
    const key = randomBytes(32).toString('base64');
    const ring = loadKeyRing(parseEnv({ TOKEN_ENCRYPTION_KEYS: `prod1:${key}` }));
    expect(ring.keyIds).toEqual(['prod1']);
  });
});
