import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A server-made id: a kind prefix and 20 random base62 characters (`cus_4fT…`). */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let text = '';
  for (const byte of bytes) text += ALPHABET[byte % 62];
  return `${prefix}_${text}`;
}
