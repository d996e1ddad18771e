import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PersonalFields } from '@accrual/billing';

/**
 * The cryptography of crypto-shredding (GDPR), all AES-256-GCM from node:crypto:
 * - each customer's personal fields are sealed under a random 256-bit data key of its own;
 * - data keys may be wrapped (sealed) under a master key from `ACCRUAL_MASTER_KEY`.
 * Each seal has a fresh 96-bit IV and binds the customer id as additional authenticated data, so
 * a ciphertext copied onto another customer does not open. Formats are versioned strings:
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), keys as `r1.<key>` (raw) or `w1.<iv>.<tag>.<ciphertext>`.
 */
export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const SEALED_PREFIX = 'v1';

export class PersonalDataKeyError extends Error {}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

export function sealPersonalFields(dataKey: Buffer, customerId: string, fields: PersonalFields): string {
  return seal(SEALED_PREFIX, dataKey, `customer:${customerId}`, Buffer.from(JSON.stringify(fields), 'utf8'));
}

/** Throws when the key is not the one it was sealed with, or the ciphertext was altered. */
export function openPersonalFields(dataKey: Buffer, customerId: string, sealed: string): PersonalFields {
  return JSON.parse(open(SEALED_PREFIX, dataKey, `customer:${customerId}`, sealed).toString('utf8')) as PersonalFields;
}

/** A data key as stored in `privacy.customer_keys`: wrapped under the master key when there is one. */
export function encodeDataKey(dataKey: Buffer, customerId: string, masterKey: Buffer | null): string {
  return masterKey ? seal('w1', masterKey, `customer-key:${customerId}`, dataKey) : `r1.${dataKey.toString('base64url')}`;
}

export function decodeDataKey(stored: string, customerId: string, masterKey: Buffer | null): Buffer {
  if (stored.startsWith('r1.')) return Buffer.from(stored.slice(3), 'base64url');
  if (!masterKey) throw new PersonalDataKeyError('customer keys are wrapped: set ACCRUAL_MASTER_KEY to the master key that wrapped them');
  return open('w1', masterKey, `customer-key:${customerId}`, stored);
}

/** `ACCRUAL_MASTER_KEY`: 32 bytes as base64 (44 characters) or hex (64); unset: keys are stored unwrapped. */
export function parseMasterKey(text: string | undefined): Buffer | null {
  if (!text) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== DATA_KEY_BYTES) throw new PersonalDataKeyError('ACCRUAL_MASTER_KEY must be 32 bytes, as base64 or hex');
  return key;
}

function seal(prefix: string, key: Buffer, associatedData: string, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [prefix, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

function open(prefix: string, key: Buffer, associatedData: string, sealed: string): Buffer {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== prefix) throw new PersonalDataKeyError(`not a ${prefix} sealed value`);
  const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
  // A fixed tag length: a truncated tag would be easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
