import type { Component, ConfigFile, EnvVar, Parameter, Port, Probe, Volume } from '../api/index.js';
import { upperSnake } from './names.js';

/** A Docker Compose file as parsed YAML, with what it refers to read by the caller. */
export interface ComposeInput {
  doc: unknown;
  /** The .env file next to it, if any. */
  envFile?: string;
  /** Contents of bind-mounted files, by the path the compose file gives (e.g. ./config/db/my.conf). */
  files: ReadonlyMap<string, string>;
  /** Default size of a named volume (Compose has none). */
  volumeSize?: string;
}

export interface ComposeCapture {
  components: Component[];
  parameters: Parameter[];
  uncaptured: string[];
  notes: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Keys that have a template counterpart, or none is needed (restart: Ferry's controllers restart). */
const KNOWN = new Set([
  'image',
  'entrypoint',
  'command',
  'environment',
  'ports',
  'volumes',
  'depends_on',
  'deploy',
  'healthcheck',
  'restart',
]);

/**
 * The reverse of `ferry export --format compose`: services become components, `${NAME}` references
 * become parameters (declared by .env: `# description`, `# required[, secret]`, `NAME=default`),
 * the `<DEP>_HOST`/`<DEP>_PORT` a dependency gets are left to Ferry to inject, named volumes become
 * volumes, read-only bind-mounted files become config files, `deploy.replicas` replicas, a
 * healthcheck an exec readiness probe. What has no template counterpart is listed.
 */
export function captureCompose(input: ComposeInput): ComposeCapture {
  const out: ComposeCapture = { components: [], parameters: [], uncaptured: [], notes: [] };
  if (!isObj(input.doc) || !isObj(input.doc.services))
    throw new Error('not a Compose file: no top-level "services" mapping');
  const declared = parseEnvFile(input.envFile ?? '');
  const referenced = new Set<string>();
  const services = input.doc.services;
  for (const [name, raw] of Object.entries(services)) {
    if (!isObj(raw)) throw new Error(`services.${name}: expected a mapping`);
    out.components.push(component(name, raw, services, input, out, referenced));
  }
  for (const key of Object.keys(input.doc))
    if (!['services', 'volumes', 'version', 'name'].includes(key)) out.uncaptured.push(`top-level ${key}`);
  for (const name of referenced) {
    const p = declared.get(name);
    out.parameters.push(p ?? { name, required: true, secret: false });
    if (!p) out.notes.push(`parameter ${name}: not in .env; declared required`);
  }
  return out;
}

function component(
  name: string,
  s: Obj,
  services: Obj,
  input: ComposeInput,
  out: ComposeCapture,
  referenced: Set<string>,
): Component {
  const at = `services.${name}`;
  if (typeof s.image !== 'string')
    throw new Error(
      `${at}: no image (a "build:" section cannot be published; build and push the image, then name it)`,
    );
  for (const key of Object.keys(s)) if (!KNOWN.has(key)) out.uncaptured.push(`${at}.${key}`);
  const c: Component = { name, workload: 'Deployment', image: s.image, replicas: 1 };
  const words = (v: unknown, key: string) => {
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'string') {
      out.notes.push(`${at}.${key}: split on spaces`);
      return v.split(/\s+/).filter(Boolean);
    }
    return undefined;
  };
  const command = words(s.entrypoint, 'entrypoint');
  if (command) c.command = command;
  const args = words(s.command, 'command');
  if (args) c.args = args;
  const dependsOn = Array.isArray(s.depends_on)
    ? s.depends_on.map(String)
    : isObj(s.depends_on)
      ? Object.keys(s.depends_on)
      : [];
  if (dependsOn.length) c.dependsOn = dependsOn;
  const ports = (Array.isArray(s.ports) ? s.ports : []).map((p) => port(p, at));
  if (ports.length) c.ports = ports;
  const env = environment(s.environment, dependsOn, services, referenced, out, at);
  if (env.length) c.env = env;
  const { volumes, configFiles } = mounts(name, s.volumes, input, out, at);
  if (volumes.length) c.volumes = volumes;
  if (configFiles.length) c.configFiles = configFiles;
  const replicas = isObj(s.deploy) ? s.deploy.replicas : undefined;
  if (typeof replicas === 'number') c.replicas = replicas;
  if (isObj(s.deploy))
    for (const k of Object.keys(s.deploy)) if (k !== 'replicas') out.uncaptured.push(`${at}.deploy.${k}`);
  const probe = healthcheck(s.healthcheck, out, at);
  if (probe) c.readinessProbe = probe;
  return c;
}

function port(p: unknown, at: string): Port {
  if (isObj(p)) {
    const n = Number(p.target);
    return {
      name: `port-${n}`,
      port: n,
      protocol: String(p.protocol ?? 'tcp').toUpperCase() as Port['protocol'],
    };
  }
  const m = /^(?:.*:)?(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(String(p));
  if (!m) throw new Error(`${at}.ports: "${String(p)}" is not HOST:CONTAINER[/PROTOCOL]`);
  return {
    name: `port-${m[1]}`,
    port: Number(m[1]),
    protocol: (m[2] ?? 'tcp').toUpperCase() as Port['protocol'],
  };
}

function environment(
  raw: unknown,
  dependsOn: readonly string[],
  services: Obj,
  referenced: Set<string>,
  out: ComposeCapture,
  at: string,
): EnvVar[] {
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((e) => {
        const text = String(e);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
      })
    : isObj(raw)
      ? Object.entries(raw).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])
      : [];
  const injected = new Map<string, string>();
  for (const dep of dependsOn) {
    injected.set(`${upperSnake(dep)}_HOST`, dep);
    const target = services[dep];
    const ports = isObj(target) && Array.isArray(target.ports) ? target.ports : [];
    if (ports.length) injected.set(`${upperSnake(dep)}_PORT`, String(port(ports[0], `services.${dep}`).port));
  }
  const env: EnvVar[] = [];
  for (const [name, value] of pairs) {
    if (injected.get(name) === value) {
      out.notes.push(`${at}: ${name} left out; Ferry injects it for the dependency`);
      continue;
    }
    env.push({ name, value: templateValue(value, referenced) });
  }
  return env;
}

/** Compose interpolation back to template text: `${X}`/`$X` → `${params.X}`, `$$` → `$`. */
function templateValue(value: string, referenced: Set<string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, a?: string, b?: string) => {
      const name = a ?? b;
      if (!name) return '$';
      referenced.add(name);
      return `\${params.${name}}`;
    },
  );
}

function mounts(
  service: string,
  raw: unknown,
  input: ComposeInput,
  out: ComposeCapture,
  at: string,
): { volumes: Volume[]; configFiles: ConfigFile[] } {
  const volumes: Volume[] = [];
  const configFiles: ConfigFile[] = [];
  for (const m of Array.isArray(raw) ? raw : []) {
    const [source, target] = isObj(m)
      ? [String(m.source ?? ''), String(m.target ?? '')]
      : String(m).split(':');
    if (!source || !target) {
      out.uncaptured.push(`${at}.volumes: ${JSON.stringify(m)} (anonymous volume)`);
      continue;
    }
    if (/^[./~]/.test(source)) {
      const content = input.files.get(source);
      if (content === undefined) {
        out.uncaptured.push(
          `${at}.volumes: ${source} (a bind mount of a directory or a file that was not found)`,
        );
        continue;
      }
      configFiles.push({ name: source.split('/').pop()!, mountPath: target, content });
    } else {
      const name = source.startsWith(`${service}-`) ? source.slice(service.length + 1) : source;
      volumes.push({
        name,
        mountPath: target,
        size: input.volumeSize ?? '1Gi',
        accessModes: ['ReadWriteOnce'],
      });
      out.notes.push(`${at}: volume ${source} gets size ${input.volumeSize ?? '1Gi'} (Compose has no size)`);
    }
  }
  return { volumes, configFiles };
}

function healthcheck(raw: unknown, out: ComposeCapture, at: string): Probe | undefined {
  if (!isObj(raw) || raw.disable === true) return undefined;
  const test = Array.isArray(raw.test)
    ? raw.test.map(String)
    : typeof raw.test === 'string'
      ? ['CMD-SHELL', raw.test]
      : [];
  const command =
    test[0] === 'CMD' ? test.slice(1) : test[0] === 'CMD-SHELL' ? ['sh', '-c', test.slice(1).join(' ')] : [];
  if (!command.length) {
    out.uncaptured.push(`${at}.healthcheck (no CMD or CMD-SHELL test)`);
    return undefined;
  }
  const seconds = (v: unknown) => {
    const m = /^(\d+)s$/.exec(String(v ?? ''));
    return m ? Math.max(1, Number(m[1])) : undefined;
  };
  const probe: Probe = { exec: { command } };
  if (seconds(raw.interval)) probe.periodSeconds = seconds(raw.interval);
  if (seconds(raw.timeout)) probe.timeoutSeconds = seconds(raw.timeout);
  if (typeof raw.retries === 'number') probe.failureThreshold = raw.retries;
  return probe;
}

/** Parameters as `ferry export --format compose` writes .env: `# description`, `# required[, secret]`, NAME=default. */
export function parseEnvFile(text: string): Map<string, Parameter> {
  const params = new Map<string, Parameter>();
  let comments: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) {
      comments = [];
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push(trimmed.slice(1).trim());
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!m) continue;
    const marker = comments.find((c) => /^required(, secret)?$/.test(c));
    const description = comments.filter((c) => c !== marker && !/^Parameters of /.test(c)).join('\n');
    params.set(m[1]!, {
      name: m[1]!,
      ...(description ? { description } : {}),
      ...(m[2] ? { default: m[2] } : {}),
      required: Boolean(marker),
      secret: Boolean(marker?.endsWith('secret')),
    });
    comments = [];
  }
  return params;
}
