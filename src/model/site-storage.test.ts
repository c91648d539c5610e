import type { V1Deployment, V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import type { AppTemplateSpec, ComponentOverride } from '../api/index.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { planUpgrade } from './plan.js';
import { formatProblem } from './problems.js';
import { quantityValue } from './quantity.js';
import { render } from './render.js';
import { securityRelaxations } from './security.js';
import { volumeChangeProblems } from './volume-changes.js';

const OBJECT = 'AppInstall/shop/shop';
const v1 = () => clone(shopTemplate('1.0.0').spec);

function objectsOf(spec: AppTemplateSpec, overrides: ComponentOverride[], component: string) {
  return render({
    install: { name: 'shop', namespace: 'shop', uid: 'u' },
    spec,
    revision: 1,
    parameters: new Map([['DB_PASSWORD', 'x']]),
    overrides,
  }).find((c) => c.name === component)!.objects;
}

describe('site storage', () => {
  it("renders the PVC with the site's class and size instead of the template's", () => {
    const pvc = objectsOf(
      v1(),
      [{ component: 'db', volumes: [{ name: 'data', size: '50Gi', storageClassName: 'fast' }] }],
      'db',
    ).find((o) => o.kind === 'PersistentVolumeClaim') as V1PersistentVolumeClaim;
    expect(pvc.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '50Gi' } },
      storageClassName: 'fast',
    });
  });

  it('reads quantities by value, not by text', () => {
    expect(quantityValue('10Gi')).toBe(10 * 2 ** 30);
    expect(quantityValue('1.5Ti')).toBeGreaterThan(quantityValue('1500Gi'));
    expect(quantityValue('500m')).toBe(0.5);
    expect(() => quantityValue('ten')).toThrow('"ten" is not a quantity');
  });

  it('lets a volume grow, and refuses shrinking it and changing the class of an existing one', () => {
    const effective = v1();
    const current = {
      effective,
      overrides: [{ component: 'db', volumes: [{ name: 'data', size: '20Gi' }] }],
    };
    const grow = [{ component: 'db', volumes: [{ name: 'data', size: '0.5Ti' }] }];
    expect(volumeChangeProblems(OBJECT, current, { effective, overrides: grow })).toEqual([]);
    const shrink = [{ component: 'db', volumes: [{ name: 'data', size: '15Gi', storageClassName: 'fast' }] }];
    expect(
      volumeChangeProblems(OBJECT, current, { effective, overrides: shrink }).map(formatProblem),
    ).toEqual([
      'AppInstall/shop/shop: spec.overrides[0].volumes[0].size: volume "data" of component "db" is 20Gi; 15Gi would shrink it, and a PersistentVolumeClaim can only grow',
      'AppInstall/shop/shop: spec.overrides[0].volumes[0].storageClassName: volume "data" of component "db" exists with storage class (cluster default); a PersistentVolumeClaim keeps its class (Ferry never re-creates one): remove the change, or give the data a new volume',
    ]);
    // Dropping the override falls back to the template's 10Gi: a shrink too.
    expect(volumeChangeProblems(OBJECT, current, { effective, overrides: [] }).map((p) => p.field)).toEqual([
      'spec.overrides.size',
    ]);
    // The first install and new volumes take whatever the site says.
    expect(volumeChangeProblems(OBJECT, undefined, { effective, overrides: shrink })).toEqual([]);
  });
});

describe('site scheduling', () => {
  const podOf = (overrides: ComponentOverride[]) =>
    (objectsOf(v1(), overrides, 'api').at(-1) as V1Deployment).spec!.template.spec!;

  it('renders nodeSelector, tolerations, affinity and topology spread, selecting its own pods by default', () => {
    const own = { matchLabels: { 'ferry.dev/install': 'shop', 'ferry.dev/component': 'api' } };
    const pod = podOf([
      {
        component: 'api',
        nodeSelector: { 'site.example/pool': 'apps' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } },
            ],
          },
        },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
        resources: { limits: { memory: '1Gi' } },
      },
    ]);
    expect(pod.nodeSelector).toEqual({ 'site.example/pool': 'apps' });
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' },
    ]);
    expect(pod.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: own } },
        ],
      },
    });
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: own,
      },
    ]);
    expect(pod.containers[0]!.resources).toEqual({ limits: { memory: '1Gi' } });
  });

  it('renders none of it without site settings', () => {
    const pod = podOf([]);
    for (const key of ['nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints'] as const)
      expect(pod[key]).toBeUndefined();
  });
});

describe('Pod Security in the plan', () => {
  it('lists nothing for a restricted component and each relaxation a template makes', () => {
    expect(securityRelaxations(undefined)).toEqual([]);
    expect(securityRelaxations({ runAsUser: 65532, capabilities: { add: ['NET_BIND_SERVICE'] } })).toEqual(
      [],
    );
    expect(
      securityRelaxations({
        runAsNonRoot: false,
        runAsUser: 0,
        allowPrivilegeEscalation: true,
        seccompProfile: 'Unconfined',
        capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
      }),
    ).toEqual([
      'runAsNonRoot=false (may run as root)',
      'runAsUser=0 (root)',
      'allowPrivilegeEscalation=true',
      'seccompProfile=Unconfined',
      'capabilities.drop=[MKNOD] (not ALL)',
      'capabilities.add=[NET_ADMIN]',
    ]);
  });

  it('shows a relaxation the new version makes, in the patch and as securityRelaxations', () => {
    const v2 = clone(shopTemplate('2.0.0').spec);
    v2.components.find((c) => c.name === 'api')!.securityContext = { runAsNonRoot: false };
    const { plan } = planUpgrade(v1(), v2);
    const api = plan.components.find((c) => c.name === 'api')!;
    expect(api.securityRelaxations).toEqual(['runAsNonRoot=false (may run as root)']);
    expect(api.patch).toContainEqual({
      op: 'add',
      path: '/securityContext',
      value: '{"runAsNonRoot":false}',
    });
    expect(plan.components.find((c) => c.name === 'web')!.securityRelaxations).toBeUndefined();
  });

  it('shows route changes of the template in the patch', () => {
    const v2 = clone(shopTemplate('2.0.0').spec);
    v2.components.find((c) => c.name === 'web')!.routes![0]!.path = '/shop';
    const { plan } = planUpgrade(v1(), v2);
    expect(plan.components.find((c) => c.name === 'web')!.patch).toContainEqual({
      op: 'replace',
      path: '/routes/public/path',
      previous: '"/"',
      value: '"/shop"',
    });
  });
});

// A StatefulSet's pod keeps the template's ids and gets the restricted defaults (render.test checks the rest).
it('keeps fsGroup for the database under the restricted defaults', () => {
  const sts = objectsOf(v1(), [], 'db').at(-1) as V1StatefulSet;
  expect(sts.spec!.template.spec!.securityContext!.fsGroup).toBe(65532);
  expect(sts.spec!.template.spec!.securityContext!.runAsNonRoot).toBe(true);
});
