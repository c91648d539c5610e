import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { DNS_LABEL_PATTERN, SEMVER_PATTERN } from '../api/index.js';
import { BundleError } from './errors.js';
import { CHART_MAX_FILE, CHART_MAX_FILES, CHART_MAX_TOTAL, CHART_SEGMENT } from './package-format.js';
import { parseReference } from './reference.js';
import { loadYamlEntry } from './yaml-entry.js';

/** One file of a Helm chart, by its path relative to the chart directory ('/'-separated). */
export interface ChartFile {
  path: string;
  bytes: Buffer;
}

/** A Helm chart as an operator package carries it: plain files, in a stable (sorted) order. */
export interface Chart {
  name: string;
  version: string;
  appVersion: string;
  files: ChartFile[];
}

export const OFFLINE_VALUES = 'values-offline.yaml';

/**
 * Reads Chart.yaml (apiVersion v2, name, version, appVersion) and checks what an operator package
 * needs of it: a DNS-label name and SemVer version and appVersion. `where` names the file in errors.
 */
export function chartMetadata(
  bytes: Buffer,
  where: string,
): { name: string; version: string; appVersion: string } {
  const doc = loadYamlEntry(bytes, where);
  const chart = (doc ?? {}) as Record<string, unknown>;
  const field = (key: string, pattern: string, what: string): string => {
    const value = chart[key];
    if (typeof value !== 'string' || !new RegExp(pattern).test(value))
      throw new BundleError(`${key} ${JSON.stringify(value)}: expected ${what}`, { entry: where });
    return value;
  };
  if (chart.apiVersion !== 'v2')
    throw new BundleError(`apiVersion ${JSON.stringify(chart.apiVersion)}: expected a Helm 3 chart (v2)`, {
      entry: where,
    });
  return {
    name: field('name', DNS_LABEL_PATTERN, 'a DNS label'),
    version: field('version', SEMVER_PATTERN, 'a SemVer version such as 1.2.3'),
    appVersion: field(
      'appVersion',
      SEMVER_PATTERN,
      'the operator release as a SemVer version such as 1.2.3 (it versions the package)',
    ),
  };
}

/** A .helmignore rule, with Helm's semantics (pkg/ignore): basename, path or directory patterns. */
interface IgnoreRule {
  negate: boolean;
  dirOnly: boolean;
  match: (path: string) => boolean;
}

/** Go's filepath.Match as a RegExp: `*` and `?` stop at '/', `[...]` classes, `\` escapes. */
function globRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`unterminated [ in "${pattern}"`);
      let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      out += `[${cls}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Parses .helmignore, plus the rule Helm always adds (hidden files in templates/). */
export function helmIgnoreRules(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of ['templates/.?*', ...text.split('\n')]) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.includes('**'))
      throw new BundleError(`.helmignore: "**" is not supported (by Helm either): ${line}`);
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    let regexp: RegExp;
    try {
      regexp = globRegExp(line.replace(/^\//, ''));
    } catch (error) {
      throw new BundleError(`.helmignore: ${(error as Error).message}`);
    }
    const whole = line.includes('/');
    rules.push({
      negate,
      dirOnly,
      match: (path) => regexp.test(whole ? path : path.slice(path.lastIndexOf('/') + 1)),
    });
  }
  return rules;
}

/** Helm's Rules.Ignore: the first positive match ignores; a negation ignores what it does not match. */
export function helmIgnored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  for (const rule of rules) {
    if (rule.negate) {
      if (rule.dirOnly && !isDir) return true;
      if (!rule.match(path)) return true;
      continue;
    }
    if (rule.dirOnly && !isDir) continue;
    if (rule.match(path)) return true;
  }
  return false;
}

/**
 * Reads a chart directory the way `helm package` would take it (.helmignore honoured), refusing
 * what a package must not carry: links, special files, names outside [A-Za-z0-9_.+-], files over
 * 5 MiB, more than 32 MiB or 5000 files in all.
 */
export function loadChart(dir: string): Chart {
  let top;
  try {
    top = lstatSync(dir);
  } catch (error) {
    throw new BundleError(`cannot read the chart ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (!top.isDirectory()) throw new BundleError(`the chart ${dir} is not a directory`);
  let ignoreText = '';
  try {
    ignoreText = readFileSync(join(dir, '.helmignore'), 'utf8');
  } catch {
    // no .helmignore: nothing but Helm's default rule
  }
  const rules = helmIgnoreRules(ignoreText);
  const files: ChartFile[] = [];
  let total = 0;
  const walk = (rel: string) => {
    const names = readdirSync(rel ? join(dir, rel) : dir).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(dir, path));
      if (helmIgnored(rules, path, stat.isDirectory())) continue;
      if (!CHART_SEGMENT.test(name))
        throw new BundleError(`chart file ${path}: only letters, digits and "._+-" are allowed in names`);
      if (stat.isDirectory()) {
        walk(path);
        continue;
      }
      if (!stat.isFile())
        throw new BundleError(
          `chart file ${path} is a ${stat.isSymbolicLink() ? 'symbolic link' : 'special file'}: a package carries regular files only`,
        );
      if (stat.size > CHART_MAX_FILE)
        throw new BundleError(`chart file ${path} is ${stat.size} bytes, over the ${CHART_MAX_FILE} limit`);
      total += stat.size;
      if (total > CHART_MAX_TOTAL)
        throw new BundleError(`the chart ${dir} holds more than ${CHART_MAX_TOTAL} bytes`);
      if (files.length >= CHART_MAX_FILES)
        throw new BundleError(`the chart ${dir} holds more than ${CHART_MAX_FILES} files`);
      files.push({ path, bytes: readFileSync(join(dir, path)) });
    }
  };
  walk('');
  const chartYaml = files.find((f) => f.path === 'Chart.yaml');
  if (!chartYaml) throw new BundleError(`${dir} is not a Helm chart: it has no Chart.yaml`);
  return { ...chartMetadata(chartYaml.bytes, join(dir, 'Chart.yaml')), files };
}

/**
 * The image the chart's values.yaml names by default: `<registry>/<repository>:<tag or
 * appVersion>[@<digest>]` (the chart's `ferry.image` helper).
 */
export function chartDefaultImage(chart: Chart): string {
  const values = chart.files.find((f) => f.path === 'values.yaml');
  const doc = values ? (yaml.load(values.bytes.toString('utf8')) as Record<string, unknown> | null) : null;
  const image = (doc?.image ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof image[key] === 'string' ? image[key] : '');
  const repository = text('repository');
  if (!repository) throw new BundleError('the chart values.yaml names no image.repository: pass --image REF');
  const registry = text('registry').replace(/\/+$/, '');
  const digest = text('digest');
  return `${registry ? `${registry}/` : ''}${repository}:${text('tag') || chart.appVersion}${digest ? `@${digest}` : ''}`;
}

/** The values that point the chart at the imported image: site registry, repository, tag, digest. */
export function offlineValues(options: {
  registry: string;
  repository: string;
  ref: string;
  digest: string;
  appVersion: string;
}): string {
  const tag = parseReference(options.ref).tag ?? options.appVersion;
  return (
    '# Written by `ferry import`: the operator image as imported into the site registry, pinned by\n' +
    '# its digest (the tag is only for people). Install with\n' +
    '#   helm install ferry <dir>/ferry -n ferry-system --create-namespace -f <dir>/values-offline.yaml\n' +
    yaml.dump(
      {
        image: {
          registry: options.registry,
          repository: options.repository,
          tag,
          digest: options.digest,
        },
      },
      { lineWidth: 120 },
    )
  );
}

/** Every regular file under `dir` by relative path; undefined when something else is there. */
function readTree(dir: string): Map<string, Buffer> | undefined {
  const files = new Map<string, Buffer>();
  const walk = (rel: string): boolean => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir)) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(dir, path));
      if (stat.isDirectory()) {
        if (!walk(path)) return false;
      } else if (stat.isFile()) files.set(path, readFileSync(join(dir, path)));
      else return false;
    }
    return true;
  };
  return walk('') ? files : undefined;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export type ChartWrite = 'write' | 'unchanged';

/**
 * What writing the chart and values-offline.yaml into `out` would do, without doing it: 'write'
 * when either is missing, 'unchanged' when both hold exactly that already. Anything else there
 * (another chart version, values for another registry) is refused: nothing is overwritten.
 */
export function planChartOutput(out: string, chart: Chart, values: string): ChartWrite {
  if (exists(out) && !lstatSync(out).isDirectory())
    throw new BundleError(`--chart-out ${out} exists and is not a directory`);
  const chartPath = join(out, chart.name);
  const valuesPath = join(out, OFFLINE_VALUES);
  const conflict = (what: string) =>
    new BundleError(
      `${what} already exists and differs from what this package writes; remove it or pick another --chart-out`,
    );
  let changes = false;
  if (exists(chartPath)) {
    const tree = lstatSync(chartPath).isDirectory() ? readTree(chartPath) : undefined;
    const same =
      tree !== undefined &&
      tree.size === chart.files.length &&
      chart.files.every((f) => tree.get(f.path)?.equals(f.bytes));
    if (!same) throw conflict(chartPath);
  } else changes = true;
  if (exists(valuesPath)) {
    if (!lstatSync(valuesPath).isFile() || readFileSync(valuesPath, 'utf8') !== values)
      throw conflict(valuesPath);
  } else changes = true;
  return changes ? 'write' : 'unchanged';
}

/**
 * Writes `out/<chart name>/...` and `out/values-offline.yaml`, each appearing under its name only
 * when complete (written to a temporary name in `out`, then renamed). Call planChartOutput first.
 */
export function writeChartOutput(out: string, chart: Chart, values: string): ChartWrite {
  const plan = planChartOutput(out, chart, values);
  if (plan === 'unchanged') return plan;
  mkdirSync(out, { recursive: true });
  const chartPath = join(out, chart.name);
  const valuesPath = join(out, OFFLINE_VALUES);
  const temp = join(out, `.ferry-import-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    if (!exists(chartPath)) {
      for (const file of chart.files) {
        const target = join(temp, ...file.path.split('/'));
        mkdirSync(join(target, '..'), { recursive: true });
        writeFileSync(target, file.bytes, { flag: 'wx', mode: 0o644 });
      }
      renameSync(temp, chartPath);
    }
    if (!exists(valuesPath)) {
      writeFileSync(temp, values, { flag: 'wx', mode: 0o644 });
      renameSync(temp, valuesPath);
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return 'write';
}
