import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { appInstallSchema, appTemplateSchema } from '../api/index.js';
import type { AppInstall, AppTemplate } from '../api/index.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const examplePath = (...parts: string[]) => join(repoRoot, 'examples', ...parts);

export function loadYaml(path: string): unknown {
  return yaml.load(readFileSync(path, 'utf8'));
}

export const shopTemplate = (version: '1.0.0' | '2.0.0'): AppTemplate =>
  appTemplateSchema.parse(loadYaml(examplePath('shop', `shop-${version}.yaml`)));

export const shopInstall = (): AppInstall =>
  appInstallSchema.parse(loadYaml(examplePath('shop', 'install.yaml')));

/** A deep copy that the test may change freely. */
export const clone = <T>(value: T): T => structuredClone(value);
