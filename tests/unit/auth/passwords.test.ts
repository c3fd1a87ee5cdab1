import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, randomPassword, verifyDecoy, verifyPassword } from '../../../src/auth/passwords.js';

describe('passwords (scrypt)', () => {
  it('verifies the password it hashed, refuses any other, and never stores the password', async () => {
    const h = await hashPassword('林业局-密码-2026');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(h).not.toContain('2026');
    expect(await verifyPassword('林业局-密码-2026', h)).toBe(true);
    expect(await verifyPassword('林业局-密码-2027', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    // A fresh salt each time: the same password never hashes alike.
    expect(await hashPassword('林业局-密码-2026')).not.toBe(h);
  });

  it('refuses malformed or abusive stored hashes instead of running them', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdA==$a2V5')).toBe(false); // 2^30: gigabytes of memory
    expect(await verifyPassword('x', 'scrypt$1000$8$1$c2FsdA==$a2V5')).toBe(false); // N not a power of two
    await expect(verifyDecoy('anything')).resolves.toBeUndefined();
  });

  it('states the password rules in Chinese; demo passwords meet them', () => {
    expect(passwordProblem('short')).toBe('密码至少10个字符');
    expect(passwordProblem(' leading-space')).toBe('密码首尾不能是空格');
    expect(passwordProblem('x'.repeat(201))).toBe('密码不能超过200个字符');
    const p = randomPassword();
    expect(p).toHaveLength(16);
    expect(passwordProblem(p)).toBeUndefined();
  });
});
