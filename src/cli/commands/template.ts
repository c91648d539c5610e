import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import { semverString } from '../../api/index.js';
import { captureCompose } from '../../model/from-compose.js';
import { InvalidInputError } from '../../model/problems.js';
import { composeSpec, publishProblems, templateObject } from '../../model/publish.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';

export const templateHelp = `Usage: ferry template from-compose FILE --app APP --version V [--volume-size SIZE] [--notes TEXT] [-o FILE]

Makes an AppTemplate from a Docker Compose file — the reverse of ferry export --format compose.
Services become components (image, entrypoint → command, command → args, ports, environment,
depends_on, deploy.replicas, healthcheck → exec readiness probe); named volumes become volumes of
--volume-size (default 1Gi; Compose has no size); read-only files bind-mounted from beside the
Compose file become config files. \${NAME} references become parameters, declared by the .env file
next to it as ferry's export writes it (# description, # required[, secret], NAME=default). The
<DEP>_HOST/<DEP>_PORT variables of a dependency are left to Ferry, which injects them. What has no
template counterpart (networks, build, resources, ...) is listed on stderr and recorded in
spec.publication.uncaptured. The template is printed (or written to -o FILE, which must not
exist); check it, then kubectl apply it or publish it with ferry export.`;

export function templateCommand(args: string[], output: Output): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      app: { type: 'string' },
      version: { type: 'string' },
      'volume-size': { type: 'string' },
      notes: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const [sub, file, ...rest] = positionals;
  if (sub !== 'from-compose') throw new UsageError('the subcommand is from-compose');
  if (!file || rest.length) throw new UsageError('name one Compose FILE');
  if (!values.app || !values.version) throw new UsageError('--app and --version are required');
  const version = semverString('--version').safeParse(values.version);
  if (!version.success) throw new UsageError(version.error.issues[0]!.message);
  const dir = dirname(resolve(file));
  const doc = yaml.load(readFileSync(file, 'utf8'));
  const envPath = join(dir, '.env');
  const files = new Map<string, string>();
  for (const path of bindSources(doc)) {
    const full = resolve(dir, path);
    // only files beside the Compose file: a template never carries other host files
    if (relative(dir, full).startsWith('..') || !existsSync(full) || !statSync(full).isFile()) continue;
    files.set(path, readFileSync(full, 'utf8'));
  }
  let captured;
  try {
    captured = captureCompose({
      doc,
      envFile: existsSync(envPath) ? readFileSync(envPath, 'utf8') : undefined,
      files,
      volumeSize: values['volume-size'],
    });
  } catch (error) {
    throw new ProblemsFound(`${file}: ${(error as Error).message}`);
  }
  const spec = composeSpec({
    app: values.app,
    version: values.version,
    captured,
    details: { releaseNotes: values.notes },
    publication: {
      publishedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      publishedBy: `${userInfo().username} (local)`,
      source: { kind: 'Compose', file: resolve(file) },
      ...(captured.uncaptured.length ? { uncaptured: captured.uncaptured } : {}),
    },
  });
  const problems = publishProblems(spec);
  if (problems.length) throw new InvalidInputError(problems);
  for (const u of captured.uncaptured) output.err(`not captured: ${u}`);
  for (const n of captured.notes) output.err(`note: ${n}`);
  const text = yaml.dump(templateObject(spec, 'publish'), { lineWidth: 120, noRefs: true });
  if (values.output) {
    writeFileSync(values.output, text, { flag: 'wx' });
    output.out(`wrote AppTemplate ${spec.app}.${spec.version} to ${values.output}`);
  } else output.out(text);
}

/** The sources of bind mounts (./ or ../ paths) of every service. */
function bindSources(doc: unknown): string[] {
  const services =
    (doc as { services?: Record<string, { volumes?: unknown[] }> } | undefined)?.services ?? {};
  return Object.values(services).flatMap((s) =>
    (Array.isArray(s?.volumes) ? s.volumes : [])
      .map((m) =>
        typeof m === 'string' ? m.split(':')[0]! : String((m as { source?: string }).source ?? ''),
      )
      .filter((p) => p.startsWith('./') || p.startsWith('../')),
  );
}
