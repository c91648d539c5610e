import * as yaml from 'js-yaml';

/**
 * What each console action is in GitOps and CLI terms, so a person can commit or script it instead
 * of clicking: the manifest (YAML) and the `ferry` command.
 */
export interface Equivalent {
  yaml: string;
  command: string;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const command = (...words: readonly string[]) => words.map(shellQuote).join(' ');

export const toYaml = (object: unknown) => yaml.dump(object, { lineWidth: 120, noRefs: true });

export interface InstallValues {
  values: readonly { name: string; value: string }[];
  secrets: readonly { name: string; secret: string; key: string }[];
}

export function installCommand(
  app: string,
  version: string,
  namespace: string,
  name: string,
  v: InstallValues,
) {
  return command(
    'ferry',
    'install',
    `${app}@${version}`,
    '-n',
    namespace,
    ...(name !== app ? ['--name', name] : []),
    ...v.values.flatMap((p) => ['--set', `${p.name}=${p.value}`]),
    ...v.secrets.flatMap((s) => ['--set-secret', `${s.name}=${s.secret}/${s.key}`]),
  );
}

export const upgradePreviewCommand = (install: string, namespace: string, to: string, name: string) =>
  command('ferry', 'upgrade', install, '-n', namespace, '--to', to, '--name', name);

export const approveCommand = (install: string, namespace: string, name: string) =>
  command('ferry', 'upgrade', install, '-n', namespace, '--name', name, '--approve');

export const rollbackCommand = (install: string, namespace: string, toRevision: number, prune: boolean) =>
  command(
    'ferry',
    'rollback',
    install,
    '-n',
    namespace,
    '--to-revision',
    String(toRevision),
    ...(prune ? ['--prune-added-components'] : []),
  );

export const upgradeManifest = (
  namespace: string,
  name: string,
  install: string,
  to: string,
  approved: boolean,
) => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppUpgrade',
  metadata: { name, namespace },
  spec: { install, toVersion: to, approval: 'Manual', ...(approved ? { approved: true } : {}) },
});

export const rollbackManifest = (
  namespace: string,
  name: string,
  install: string,
  toRevision: number,
  prune: boolean,
) => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppRollback',
  metadata: { name, namespace },
  spec: { install, toRevision, pruneAddedComponents: prune },
});
