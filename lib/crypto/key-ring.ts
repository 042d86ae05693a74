import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM token encryption with a key ring. The first key encrypts, every key
 * decrypts, and each ciphertext carries the id of the key that sealed it, so keys can be
 * rotated without downtime (`tokenwarden rotate-keys`). A context string (the row and
 * field) is bound as additional authenticated data: a ciphertext copied to another row
 * or field fails to open instead of yielding someone else's token.
 *
 * Envelope: `tw1.<keyId>.<iv>.<ciphertext>.<tag>`, the last three base64url.
 */

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export type DecryptionFailure = 'malformed' | 'unknown_key' | 'tampered';

export class TokenDecryptionError extends Error {
  constructor(
    readonly reason: DecryptionFailure,
    readonly keyId: string | null,
    options?: { cause?: unknown },
  ) {
    const what = {
      malformed: 'is not a Tokenwarden ciphertext',
      unknown_key: `was sealed with key "${keyId}", which is not in TOKEN_ENCRYPTION_KEYS`,
      tampered: 'failed authentication (tampered, truncated, or sealed for another row)',
    }[reason];
    super(`Stored token ${what}`, options);
    this.name = 'TokenDecryptionError';
  }
}

const VERSION = 'tw1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class KeyRing {
  private readonly byId: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: readonly EncryptionKey[]) {
    const first = keys[0];
    if (!first) throw new Error('A key ring needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`Encryption key "${id}" must be 32 bytes`);
    }
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
    this.activeKeyId = first.id;
  }

  /** The active key's bytes, for deriving purpose-bound keys (HKDF); never for encrypting elsewhere. */
  activeKey(): Buffer {
    return this.byId.get(this.activeKeyId)!;
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  encrypt(plaintext: string, context: string): string {
    const key = this.byId.get(this.activeKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.activeKeyId, b64(iv), b64(ciphertext), b64(tag)].join('.');
  }

  decrypt(envelope: string, context: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new TokenDecryptionError('malformed', null);
    const [, keyId, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
    const key = this.byId.get(keyId);
    if (!key) throw new TokenDecryptionError('unknown_key', keyId);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenDecryptionError('malformed', keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new TokenDecryptionError('tampered', keyId, { cause: error });
    }
  }

  /** The key id an envelope names, without opening it (rotation picks rows by it). */
  static keyIdOf(envelope: string): string | null {
    const parts = envelope.split('.');
    return parts.length === 5 && parts[0] === VERSION ? (parts[1] ?? null) : null;
  }
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64url');
}

/** Contexts bind a ciphertext to one integration and one field. */
export const tokenContext = {
  access: (integrationId: string) => `integrations/${integrationId}/access_token`,
  refresh: (integrationId: string) => `integrations/${integrationId}/refresh_token`,
};

/** Binds a webhook signing secret's ciphertext to its endpoint row (AES-GCM associated data). */
export function webhookSecretContext(endpointId: string): string {
  return `webhook_endpoints/${endpointId}/secret`;
}
