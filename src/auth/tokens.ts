import { createHash, randomBytes } from 'node:crypto';

/** A new API token: `zb_` and 32 random bytes in base64url. Shown once; only its SHA-256 is stored. */
export function generateToken(): string {
  return `zb_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 (hex) of a token, the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
