import crypto from 'node:crypto';
import { SwitchboardError } from './errors.ts';

/**
 * AES-256-GCM encryption of secrets at rest (signing secrets, endpoint credentials). The stored
 * form is `v1.<iv>.<tag>.<ciphertext>` in base64url, so a future key or cipher can be told apart.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /**
   * A value that tells keys apart without revealing them (HMAC-SHA256 of a fixed label under the
   * key), stored at first start so a process with another key is refused.
   */
  checkValue(): string;
}

const CHECK_LABEL = 'switchboard master key check v1';

/** Why a sealed value does not open, as the API answers it (a 500: only the operator can fix it). */
export const UNDECRYPTABLE_MESSAGE =
  "This endpoint's credentials cannot be decrypted: the server's master key differs from the one that sealed them. " +
  'The server operator must set SWITCHBOARD_MASTER_KEY back to that key.';

/** A SecretBox keyed by SHA-256 of the master key material. */
export function createSecretBox(masterKey: string): SecretBox {
  const key = crypto.createHash('sha256').update(masterKey, 'utf8').digest();
  return {
    seal(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // GCM's tag check failed: sealed under another key (or altered), never a client's mistake.
        throw new SwitchboardError('internal', UNDECRYPTABLE_MESSAGE);
      }
    },
    checkValue() {
      return crypto.createHmac('sha256', key).update(CHECK_LABEL, 'utf8').digest('base64url');
    },
  };
}
