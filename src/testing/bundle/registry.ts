import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'e2e', 'registry.sh');

export interface LocalRegistry {
  address: string;
  dir: string;
  /** The CA that signed the registry certificate (with `tls`). */
  caFile: string;
  /** The token server's realm URL (with `token`). */
  tokenRealm?: string;
  stop(): void;
}

/** One access rule of a token server user: a repository glob (`market/*`, `market/shop/**`) and actions. */
export interface TokenRule {
  /** `repository` unless said; `registry` with name `catalog` and actions `['*']` lists the catalog. */
  type?: 'repository' | 'registry';
  name: string;
  actions: ('pull' | 'push' | 'delete' | '*')[];
}

/**
 * The policy of e2e/go/tokenserver (see its policy.go): users, their passwords and access rules. A user
 * gets the union of the rules that match a repository, intersected with what was asked for.
 */
export interface TokenPolicy {
  users: Record<string, { password: string; access: TokenRule[] }>;
}

/**
 * The three people of the permission tests, each with a fresh password: `reader` pulls anything under
 * market/, `shop-publisher` also pushes market/shop and below, `admin` may do everything (the
 * catalog included).
 */
export function marketPermissionsPolicy(): { policy: TokenPolicy; passwords: Record<MarketUser, string> } {
  const passwords = {
    reader: `r-${randomBytes(8).toString('hex')}`,
    'shop-publisher': `s-${randomBytes(8).toString('hex')}`,
    admin: `a-${randomBytes(8).toString('hex')}`,
  };
  const policy: TokenPolicy = {
    users: {
      reader: { password: passwords.reader, access: [{ name: 'market/**', actions: ['pull'] }] },
      'shop-publisher': {
        password: passwords['shop-publisher'],
        access: [
          { name: 'market/**', actions: ['pull'] },
          { name: 'market/shop', actions: ['push'] },
          { name: 'market/shop/**', actions: ['push'] },
        ],
      },
      admin: {
        password: passwords.admin,
        access: [
          { name: '**', actions: ['*'] },
          { type: 'registry', name: 'catalog', actions: ['*'] },
        ],
      },
    },
  };
  return { policy, passwords };
}
export type MarketUser = 'reader' | 'shop-publisher' | 'admin';

export function hasRegistryBinary(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker-registry'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A real docker-registry (distribution) on a free loopback port, via e2e/registry.sh: open, with basic
 * auth (`auth: 'user:password'`) or behind the e2e token server (`token`: its policy; the token server
 * is built by `e2e/tools.sh tokenserver` on first use, which needs Go).
 */
export function startRegistry(
  options: { auth?: string; tls?: boolean; token?: TokenPolicy } = {},
): LocalRegistry {
  const parent = mkdtempSync(join(tmpdir(), 'ferry-registry-'));
  const dir = join(parent, 'state');
  const policy = join(parent, 'policy.json');
  if (options.token) writeFileSync(policy, JSON.stringify(options.token), { mode: 0o600 });
  const args = [
    'up',
    dir,
    ...(options.auth ? ['--auth', options.auth] : []),
    ...(options.token ? ['--token', policy] : []),
    ...(options.tls ? ['--tls'] : []),
  ];
  const output = execFileSync('bash', [script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const address = /REGISTRY=(\S+)/.exec(output)?.[1];
  if (!address) throw new Error(`registry.sh printed no REGISTRY= line:\n${output}`);
  return {
    address,
    dir,
    caFile: join(dir, 'ca.crt'),
    tokenRealm: /TOKEN_REALM=(\S+)/.exec(output)?.[1],
    stop() {
      execFileSync('bash', [script, 'down', dir], { stdio: 'ignore' });
      rmSync(dirname(dir), { recursive: true, force: true });
    },
  };
}
