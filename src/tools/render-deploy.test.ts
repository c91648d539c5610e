import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { CHART_DIR, DEPLOY_NAMESPACE, crdFiles, deployFiles, readDeployFile } from './render-deploy.js';

// The drift of deploy/ against `helm template` is checked by e2e/chart (it needs helm); these checks
// need no helm.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = 'run `npm run generate:deploy`';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

describe('charts/ferry/crds', () => {
  it(`holds exactly the files of crds/, byte for byte (else ${FIX})`, () => {
    const source = crdFiles(join(repoRoot, 'crds'));
    expect(crdFiles(join(repoRoot, CHART_DIR, 'crds'))).toEqual(source);
    for (const file of source) {
      const copy = readFileSync(join(repoRoot, CHART_DIR, 'crds', file), 'utf8');
      expect({ file, same: copy === readFileSync(join(repoRoot, 'crds', file), 'utf8') }).toEqual({
        file,
        same: true,
      });
    }
  });
});

describe('deploy/', () => {
  it(`10-crds.yaml holds the CRDs of crds/ as helm prints them (else ${FIX})`, () => {
    // `helm template --include-crds` prints each file of the chart's crds/ verbatim after a Source line.
    const helmLike = crdFiles(join(repoRoot, 'crds'))
      .map((f) => `---\n# Source: ferry/crds/${f}\n${readFileSync(join(repoRoot, 'crds', f), 'utf8')}\n`)
      .join('');
    const files = new Map(deployFiles(helmLike + '---\n# Source: ferry/templates/x.yaml\nkind: X\n'));
    expect(readDeployFile(repoRoot, '10-crds.yaml')).toBe(files.get('10-crds.yaml'));
  });

  it('splits helm output into the namespace, the CRDs and the rest', () => {
    const files = deployFiles(
      '---\n# Source: ferry/crds/a.yaml\nkind: CustomResourceDefinition\n\n' +
        '---\n# Source: ferry/templates/sa.yaml\nkind: ServiceAccount\n' +
        '---\n# Source: ferry/templates/d.yaml\nkind: Deployment\n',
    );
    expect(files.map(([name]) => name)).toEqual(['00-namespace.yaml', '10-crds.yaml', '20-ferry.yaml']);
    const objects = (text: string) => yaml.loadAll(text).filter(Boolean) as Obj[];
    expect(objects(files[0]![1]).map((o) => o.kind)).toEqual(['Namespace']);
    expect(objects(files[1]![1]).map((o) => o.kind)).toEqual(['CustomResourceDefinition']);
    expect(objects(files[2]![1]).map((o) => o.kind)).toEqual(['ServiceAccount', 'Deployment']);
    expect(() => deployFiles('---\n# Source: ferry/templates/d.yaml\nkind: Deployment\n')).toThrow(/no CRDs/);
  });

  const objects = () => yaml.loadAll(readDeployFile(repoRoot, '20-ferry.yaml')).filter(Boolean) as Obj[];
  const find = (kind: string, name?: string) =>
    objects().find((o) => o.kind === kind && (!name || o.metadata.name === name));

  it('puts every namespaced object into the namespace that 00-namespace.yaml creates', () => {
    const [ns] = yaml.loadAll(readDeployFile(repoRoot, '00-namespace.yaml')) as Obj[];
    expect(ns!.metadata.name).toBe(DEPLOY_NAMESPACE);
    const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects()) {
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace).toBeUndefined();
      else expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toMatch(/ in ferry-system$/);
    }
  });

  it('runs 2 hardened replicas with leader election in the release namespace and probes on 8081', () => {
    /* eslint-disable @typescript-eslint/no-explicit-any -- reading a rendered manifest */
    const deployment = find('Deployment') as any;
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container.args).toEqual(
      expect.arrayContaining([
        'operator',
        '--leader-elect',
        '--leader-election-namespace=$(POD_NAMESPACE)',
        '--probe-address=0.0.0.0:8081',
      ]),
    );
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(container.ports).toContainEqual({ name: 'http-metrics', containerPort: 8081, protocol: 'TCP' });
    expect(container.resources.requests).toBeDefined();
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.serviceAccountName).toBe(find('ServiceAccount')!.metadata.name);
    /* eslint-enable @typescript-eslint/no-explicit-any */
  });

  it('grants the operator no wildcard and no access to Secrets beyond what it reads and applies', () => {
    const rules = (find('ClusterRole', 'ferry-operator') as unknown as { rules: Record<string, string[]>[] })
      .rules;
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) expect(rule[field]).not.toContain('*');
    }
    const secretVerbs = rules.filter((r) => r.resources!.includes('secrets')).flatMap((r) => r.verbs!);
    // list/watch only for the metadata-only informer of labelled parameter Secrets (Secret rotation).
    expect(secretVerbs.sort()).toEqual(['create', 'delete', 'get', 'list', 'patch', 'watch']);
    expect(find('ClusterRole', 'ferry-viewer')).toBeDefined();
    expect(find('ClusterRole', 'ferry-installer')).toBeDefined();
    expect(find('ClusterRole', 'ferry-publisher')).toBeDefined();
  });
});
