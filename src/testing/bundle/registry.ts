import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'e2e', 'registry.sh');

export interface LocalRegistry {
  address: string;
  dir: string;
  /** The CA that signed the registry certificate (with `tls`). */
  caFile: string;
  stop(): void;
}

export function hasRegistryBinary(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker-registry'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A real docker-registry (distribution) on a free loopback port, via e2e/registry.sh. */
export function startRegistry(options: { auth?: string; tls?: boolean } = {}): LocalRegistry {
  const dir = join(mkdtempSync(join(tmpdir(), 'ferry-registry-')), 'state');
  const args = [
    'up',
    dir,
    ...(options.auth ? ['--auth', options.auth] : []),
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
    stop() {
      execFileSync('bash', [script, 'down', dir], { stdio: 'ignore' });
      rmSync(dirname(dir), { recursive: true, force: true });
    },
  };
}
