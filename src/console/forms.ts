import type { AppInstall, AppUpgrade } from '../api/index.js';
import { draftInstall, latestVersion } from '../model/install-request.js';
import { InvalidInputError } from '../model/problems.js';
import { adoptOverrides } from './adopt.js';
import * as cluster from './cluster.js';
import type { Equivalent, InstallValues } from './equivalent.js';
import { approveCommand, installCommand, toYaml, upgradeManifest } from './equivalent.js';
import type { ShownError } from './errors.js';
import { showError } from './errors.js';
import { adoptKey } from './pages/plan.js';
import { installPage } from './pages/templates.js';
import type { Answer, Session } from './session.js';
import { NotFound } from './session.js';

/**
 * The install form's values as `ferry install` takes them: plain parameters (left out when empty or
 * equal to the default) and secret ones as SECRET/KEY picked from the list.
 */
export function installValues(
  parameters: readonly { name: string; default?: string; secret?: boolean }[],
  given: ReadonlyMap<string, string>,
): InstallValues {
  const values: { name: string; value: string }[] = [];
  const secrets: { name: string; secret: string; key: string }[] = [];
  for (const p of parameters) {
    const v = given.get(p.name);
    if (!v) continue;
    if (p.secret) {
      const slash = v.indexOf('/');
      if (slash > 0) secrets.push({ name: p.name, secret: v.slice(0, slash), key: v.slice(slash + 1) });
    } else if (v !== p.default) values.push({ name: p.name, value: v });
  }
  return { values, secrets };
}

/** Renders the install form (GET, preview) or creates the AppInstall (intent "install"). */
export async function installForm(
  s: Session,
  app: string,
  version: string | undefined,
  namespace: string,
  name: string,
  given: ReadonlyMap<string, string>,
  intent?: 'preview' | 'install',
): Promise<Answer> {
  const templates = await cluster.templates(s.client, app);
  if (!templates.length) throw new NotFound(`no AppTemplate of app ${app}`);
  const versions = templates.map((t) => t.spec.version);
  const chosen = version && versions.includes(version) ? version : latestVersion(versions)!;
  const template = templates.find((t) => t.spec.version === chosen)!;
  const values = installValues(template.spec.parameters ?? [], given);
  const draft = draftInstall(template.spec, { name, namespace, ...values });
  let error: ShownError | undefined;
  if (intent === 'install') {
    if (!draft.ok) error = showError('Install', new InvalidInputError(draft.problems));
    else {
      try {
        await s.client.create(draft.install);
        return {
          redirect: `/installs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?done=installed`,
        };
      } catch (e) {
        error = showError('Install', e);
      }
    }
  }
  const manifest = draft.ok
    ? draft.install
    : {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppInstall',
        metadata: { name, namespace },
        spec: {
          app,
          version: chosen,
          parameters: [
            ...values.values,
            ...values.secrets.map((x) => ({
              name: x.name,
              valueFrom: { secretKeyRef: { name: x.secret, key: x.key } },
            })),
          ],
        },
      };
  if (intent === 'preview' && !draft.ok) error = showError('Check', new InvalidInputError(draft.problems));
  const [secrets, access] = await Promise.all([
    cluster.secretChoices(s.client, namespace),
    cluster.access(s.client, s.page.user, 'create', 'appinstalls', namespace),
  ]);
  return {
    status: error ? 422 : 200,
    html: installPage(
      s.page,
      {
        template: template.spec,
        versions: [...versions].sort().reverse(),
        namespace,
        name,
        given,
        secrets,
        access,
        error,
        equivalent: { command: installCommand(app, chosen, namespace, name, values), yaml: toYaml(manifest) },
      },
      template.spec.icon,
    ),
  };
}

/** Approving, as a command and YAML; adopting values adds overrides to the AppInstall. */
export function approveEquivalent(upgrade: AppUpgrade, install: AppInstall | undefined): Equivalent {
  const ns = upgrade.metadata.namespace!;
  const to = upgrade.status?.toVersion ?? upgrade.spec.toVersion ?? '';
  const approved = upgradeManifest(ns, upgrade.metadata.name, upgrade.spec.install, to, true);
  const plan = upgrade.status?.plan;
  const adoptable = plan?.notApplied.filter((n) => n.kind !== 'Volume') ?? [];
  let yaml = toYaml(approved);
  if (install && adoptable.length) {
    const all = adoptOverrides(install.spec.overrides ?? [], adoptable, new Set(adoptable.map(adoptKey)));
    yaml += `---\n# Adopting values: apply these overrides to AppInstall ${install.metadata.name} first (all adoptable ones shown; keep those you adopt)\n`;
    yaml += toYaml({
      apiVersion: install.apiVersion,
      kind: 'AppInstall',
      metadata: { name: install.metadata.name, namespace: ns },
      spec: { overrides: all.overrides },
    });
  }
  return { command: approveCommand(upgrade.spec.install, ns, upgrade.metadata.name), yaml };
}
