import * as yaml from 'js-yaml';
import { BundleError } from './errors.js';

/** A package entry parsed as YAML; invalid YAML is a BundleError naming the entry and the first line of the parser's message. */
export function loadYamlEntry(bytes: Buffer, entry: string): unknown {
  try {
    return yaml.load(bytes.toString('utf8'));
  } catch (error) {
    throw new BundleError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
      entry,
    });
  }
}
