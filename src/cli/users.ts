/**
 * Users and API tokens from the command line (tokens are printed once; only their SHA-256 is kept):
 *   npm run users -- create --login ys-lyj --role county-forestry --code 361123 --name 玉山县林业局
 *   npm run users -- token --login ys-lyj [--label laptop] [--expires-days 90]
 *   npm run users -- revoke --login ys-lyj [--label laptop]   (without --label: the web sessions too)
 *   npm run users -- password --login ys-lyj [--generate]      password from stdin (or ZHANBU_PASSWORD); ends the user's sessions
 *   npm run users -- disable|enable --login ys-lyj
 *   npm run users -- list
 *   npm run users -- demo [--county 361123]      one demo user per role, a fresh token and password each (KEY=value lines)
 * Roles: township (9-digit code), county-forestry, county-natural-resources, county-government (6),
 * city, city-natural-resources (361100 or 3611), province-reviewer, province-admin,
 * province-natural-resources (360000 or 36).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { cityOf, isRole, provinceOf, ROLE_LABELS, ROLES, type Role } from '../domain/procedure/actors.js';
import * as users from '../auth/repository.js';
import { firstTownship } from '../layers/repository.js';
import { randomPassword } from '../auth/passwords.js';
import { changePassword } from '../auth/service.js';

/** The new password: generated, ZHANBU_PASSWORD, or the first line of stdin (never an argument, which `ps` shows). */
async function passwordInput(generate: boolean): Promise<{ password: string; generated: boolean }> {
  if (generate) return { password: randomPassword(), generated: true };
  const env = process.env.ZHANBU_PASSWORD;
  if (env) return { password: env, generated: false };
  if (process.stdin.isTTY) console.error('[users] new password (one line, then Enter):');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return { password: text.split(/\r?\n/)[0] ?? '', generated: false };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    login: { type: 'string' },
    role: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    label: { type: 'string' },
    'expires-days': { type: 'string' },
    county: { type: 'string', default: '361123' },
    township: { type: 'string' },
    generate: { type: 'boolean', default: false },
  },
});

function usage(msg: string): never {
  console.error(`[users] ${msg}
usage: npm run users -- create --login L --role ROLE --code CODE --name NAME [--label X] [--expires-days N]
       npm run users -- token --login L [--label X] [--expires-days N]
       npm run users -- revoke --login L [--label X]
       npm run users -- disable|enable --login L
       npm run users -- password --login L [--generate]   (the password from stdin or ZHANBU_PASSWORD)
       npm run users -- list
       npm run users -- demo [--county 361123] [--township 361123100]
roles: ${ROLES.join(', ')}`);
  process.exit(2);
}

const command = positionals[0] ?? usage('a command is required');
const pool = createPool(loadConfig().databaseUrl, 2);
const expiresAt = () => {
  const d = values['expires-days'];
  if (d === undefined) return undefined;
  if (!/^\d+$/.test(d)) usage('--expires-days must be a whole number of days');
  return new Date(Date.now() + Number(d) * 86_400_000);
};
const need = (v: string | undefined, flag: string) => v ?? usage(`${flag} is required`);

try {
  await migrate(pool);
  switch (command) {
    case 'create': {
      const role = need(values.role, '--role');
      if (!isRole(role)) usage(`unknown role ${role}`);
      const u = await users.createUser(pool, { login: need(values.login, '--login'), name: need(values.name, '--name'), role, adminCode: need(values.code, '--code') });
      const token = await users.issueToken(pool, u.id, { label: values.label, expiresAt: expiresAt() });
      console.error(`[users] created ${u.login} (${ROLE_LABELS[u.role]}, ${u.admin_code}); token (shown once):`);
      console.log(token);
      break;
    }
    case 'token': {
      const u = (await users.userByLogin(pool, need(values.login, '--login'))) ?? usage(`no user ${values.login}`);
      const token = await users.issueToken(pool, u.id, { label: values.label, expiresAt: expiresAt() });
      console.error(`[users] new token for ${u.login} (shown once):`);
      console.log(token);
      break;
    }
    case 'revoke': {
      const u = (await users.userByLogin(pool, need(values.login, '--login'))) ?? usage(`no user ${values.login}`);
      console.log(`[users] revoked ${await users.revokeTokens(pool, u.id, values.label)} token(s) of ${u.login}`);
      if (values.label === undefined) console.log(`[users] ended ${await users.revokeSessions(pool, u.id)} web session(s) of ${u.login}`);
      break;
    }
    case 'disable':
    case 'enable': {
      const u = (await users.userByLogin(pool, need(values.login, '--login'))) ?? usage(`no user ${values.login}`);
      await users.setActive(pool, u.id, command === 'enable');
      console.log(`[users] ${u.login} ${command}d`);
      break;
    }
    case 'password': {
      const u = (await users.userByLogin(pool, need(values.login, '--login'))) ?? usage(`no user ${values.login}`);
      const { password, generated } = await passwordInput(values.generate ?? false);
      await changePassword(pool, u.id, password);
      console.error(`[users] password set for ${u.login}; its web sessions were ended`);
      if (generated) console.log(password);
      break;
    }
    case 'list': {
      for (const u of await users.listUsers(pool)) {
        console.log(`${u.login}\t${u.role}\t${u.admin_code}\t${u.active ? 'active' : 'disabled'}\t${u.tokens} token(s)\t${u.display_name}`);
      }
      break;
    }
    case 'demo': {
      const county = values.county;
      if (!/^\d{6}$/.test(county)) usage('--county must be a 6-digit county code');
      // A township of the county that the imported boundaries know, else <county>100.
      const township = values.township ?? (await firstTownship(pool, county)) ?? `${county}100`;
      const logins: string[] = [];
      const demo: [Role, string][] = [
        ['township', township],
        ['county-forestry', county],
        ['county-natural-resources', county],
        ['county-government', county],
        ['city', cityOf(county)],
        ['city-natural-resources', cityOf(county)],
        ['province-reviewer', provinceOf(county)],
        ['province-admin', provinceOf(county)],
        ['province-natural-resources', provinceOf(county)],
      ];
      for (const [role, code] of demo) {
        const u = await users.ensureUser(pool, { login: `demo-${role}`, name: `演示用户：${ROLE_LABELS[role]}（${code}）`, role, adminCode: code });
        await users.revokeTokens(pool, u.id, 'demo');
        const token = await users.issueToken(pool, u.id, { label: 'demo' });
        const password = randomPassword();
        await changePassword(pool, u.id, password);
        const key = role.toUpperCase().replace(/-/g, '_');
        console.log(`ZHANBU_TOKEN_${key}=${token}`);
        console.log(`ZHANBU_PASSWORD_${key}=${password}`);
        logins.push(`  ${ROLE_LABELS[role].padEnd(12, '　')} 登录名 ${u.login.padEnd(26)} 密码 ${password}`);
      }
      console.error(`[users] 工作台演示登录（每次运行重新生成密码）：\n${logins.join('\n')}`);
      console.error(`[users] demo users demo-<role> for county ${county} (township ${township}); use: curl -H "Authorization: Bearer $ZHANBU_TOKEN_PROVINCE_ADMIN" …`);
      break;
    }
    default:
      usage(`unknown command ${command}`);
  }
} catch (err) {
  console.error(`[users] ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
