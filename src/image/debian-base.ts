import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A minimal base made from Debian's packages, without Docker Hub: `mmdebstrap --variant=extract`
 * unpacks exactly the packages named (no maintainer scripts, no dpkg, no shell) into a directory.
 * What Node's official linux-x64 binary links against is all it needs: glibc (libc6: libc, libm,
 * libdl, libpthread, the loader), libgcc-s1 and libstdc++6. CA certificates and time zones are not
 * needed: Node carries Mozilla's CA store and ICU's zone data in the binary.
 */

export const BASE_SUITE = 'bookworm';
export const BASE_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6'];
export const BASE_MIRRORS = [
  `deb http://deb.debian.org/debian ${BASE_SUITE} main`,
  `deb http://deb.debian.org/debian ${BASE_SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${BASE_SUITE}-security main`,
];

/**
 * What of the unpacked tree stays out of the image: the device nodes mmdebstrap creates (a runtime
 * mounts /dev), apt's and dpkg's state and logs, files a runtime bind-mounts or that name the build
 * host (resolv.conf, hostname, machine-id), the loader cache (none is made; glibc searches the
 * multiarch directories Debian builds it with), /tmp (the image brings its own, 1777), and
 * documentation except the copyright files (the licences of what ships).
 */
export function baseExcluded(path: string): boolean {
  const top = [
    'dev',
    'proc',
    'sys',
    'run',
    'tmp',
    'var/cache',
    'var/log',
    'var/lib/apt',
    'var/lib/dpkg',
    'etc/apt',
    'etc/dpkg',
    'etc/resolv.conf',
    'etc/hostname',
    'etc/hosts',
    'etc/fstab',
    'etc/machine-id',
    'etc/ld.so.cache',
    'var/lib/dbus/machine-id',
    'usr/share/man',
    'usr/share/info',
    'usr/share/lintian',
    'usr/share/locale',
  ];
  if (top.some((t) => path === t || path.startsWith(`${t}/`))) return true;
  const doc = /^usr\/share\/doc\/[^/]+\/(.+)$/.exec(path);
  return doc !== null && doc[1] !== 'copyright';
}

function run(command: string, args: string[], options: Parameters<typeof execFileSync>[2]): void {
  try {
    execFileSync(command, args, options);
  } catch (error) {
    throw new Error(
      `${command} failed (${(error as Error).message.split('\n')[0]}); if a pinned version is gone from the mirror, ` +
        'apt-get update moves the pins to the current ones',
      { cause: error },
    );
  }
}

/** `pkg=version` pins, sorted: the base's identity (and cache key). */
export const pins = (versions: Record<string, string>) =>
  Object.entries(versions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, v]) => `${p}=${v}`);

export function baseKey(versions: Record<string, string>, mmdebstrapVersion: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify({ suite: BASE_SUITE, mirrors: BASE_MIRRORS, pins: pins(versions), mmdebstrapVersion }),
    )
    .digest('hex')
    .slice(0, 24);
}

/**
 * The candidate versions apt knows for the packages (run `apt-get update` to move to newer ones).
 * `apt-cache policy` output is parsed: "  Candidate: 2.36-9+deb12u14".
 */
export function parseCandidates(policyOutput: string): Record<string, string> {
  const versions: Record<string, string> = {};
  let current: string | undefined;
  for (const line of policyOutput.split('\n')) {
    const pkg = /^(\S+):$/.exec(line);
    if (pkg) current = pkg[1];
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (candidate && current) {
      if (candidate[1] === '(none)')
        throw new Error(`apt knows no candidate for ${current}: run apt-get update`);
      versions[current] = candidate[1]!;
    }
  }
  return versions;
}

export interface DebianBase {
  rootfs: string;
  key: string;
  /** `pkg=version`, sorted. */
  packages: string[];
  cached: boolean;
  seconds: number;
}

/**
 * The base rootfs for these package versions, from $cacheDir/debian-base/<key>/rootfs, made with
 * mmdebstrap when missing (about 5 s and 4 MB of downloads). The directory appears under its name
 * only once complete. SOURCE_DATE_EPOCH is passed on; the packer ignores disk times anyway.
 */
export function debianBase(cacheDir: string, options: { sourceDateEpoch?: number } = {}): DebianBase {
  const started = Date.now();
  const versions = parseCandidates(
    execFileSync('apt-cache', ['policy', ...BASE_PACKAGES], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    }),
  );
  for (const p of BASE_PACKAGES)
    if (!versions[p]) throw new Error(`apt-cache policy said nothing about ${p}`);
  const mmdebstrap = execFileSync('mmdebstrap', ['--version'], { encoding: 'utf8' }).trim();
  const key = baseKey(versions, mmdebstrap);
  const dir = join(cacheDir, 'debian-base', key);
  const rootfs = join(dir, 'rootfs');
  const packages = pins(versions);
  if (existsSync(join(dir, 'packages.txt')))
    return { rootfs, key, packages, cached: true, seconds: (Date.now() - started) / 1000 };
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `rootfs.tmp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
  try {
    run(
      'mmdebstrap',
      ['--variant=extract', '--quiet', `--include=${packages.join(',')}`, BASE_SUITE, temp, ...BASE_MIRRORS],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, SOURCE_DATE_EPOCH: String(options.sourceDateEpoch ?? 0) },
      },
    );
    renameSync(temp, rootfs);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  writeFileSync(join(dir, 'packages.txt'), `${packages.join('\n')}\n${mmdebstrap}\n`);
  return { rootfs, key, packages, cached: false, seconds: (Date.now() - started) / 1000 };
}
