/**
 * The CEL rules in the CRDs, enforced by the real API server (no operator running): AppTemplates
 * are immutable and named <app>.<version>, requests are immutable, `approved` cannot be withdrawn,
 * a parameter takes exactly one of value / valueFrom, a volume override only grows, a route's
 * settings fit its kind. Each refusal is paired with an accepted
 * change, so a rule that refused everything would fail too.
 */
import type { KubeClient } from '../src/kube/client.js';
import { KubeApiError, ferryRef } from '../src/kube/client.js';
import type { Obj } from './support/shop.js';
import { shopInstall, shopTemplate } from './support/shop.js';
import { createNamespace, kube } from './support/world.js';

const APP = `cel-${Date.now().toString(36)}`;

/** The API server's refusal of a write: 422 Invalid, with the rule's message. */
async function refusal(write: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await write;
  } catch (error) {
    if (error instanceof KubeApiError) return { status: error.status, message: error.message };
    throw error;
  }
  return { status: 200, message: 'accepted' };
}

describe('CEL validation at the API server', () => {
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    client = kube();
    ns = await createNamespace(client, 'cel');
  });
  afterAll(async () => {
    for (const name of [`${APP}.1.0.0`])
      await client.delete(ferryRef('AppTemplate', undefined, name)).catch(() => undefined);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
  });

  it('AppTemplate: the spec cannot change, labels can; the name must be <app>.<version>', async () => {
    const template = shopTemplate('1.0.0', APP);
    await client.create(template);
    const ref = ferryRef('AppTemplate', undefined, `${APP}.1.0.0`);
    expect(await refusal(client.mergePatch(ref, { spec: { description: 'changed' } }))).toEqual({
      status: 422,
      message: expect.stringContaining('spec is immutable: publish a new version instead'),
    });
    await client.mergePatch(ref, { metadata: { labels: { team: 'shop' } } });
    const stored = await client.get<Obj>(ref);
    expect(stored!.spec.description).toBe(template.spec.description);
    expect(stored!.metadata!.labels).toEqual({ team: 'shop' });

    const misnamed = shopTemplate('1.0.0', APP);
    misnamed.metadata!.name = `${APP}.9.9.9`;
    expect(await refusal(client.create(misnamed))).toEqual({
      status: 422,
      message: expect.stringContaining('metadata.name must be <spec.app>.<spec.version>'),
    });
    expect(await client.get(ferryRef('AppTemplate', undefined, `${APP}.9.9.9`))).toBeUndefined();
  });

  it('AppTemplate: a probe takes exactly one of httpGet, tcpSocket, exec', async () => {
    const template = shopTemplate('2.0.0', APP, (spec) => {
      spec.components[0].readinessProbe = { tcpSocket: { port: 5432 }, exec: { command: ['true'] } };
    });
    expect(
      await refusal(
        client.request('POST', '/apis/ferry.dev/v1alpha1/apptemplates', {
          body: template,
          query: { dryRun: 'All' },
        }),
      ),
    ).toEqual({
      status: 422,
      message: expect.stringContaining('exactly one of httpGet, tcpSocket or exec must be set'),
    });
  });

  it('AppInstall: a parameter takes exactly one of value and valueFrom', async () => {
    const install = shopInstall(ns, APP);
    install.spec.parameters[0].value = 'both';
    expect(await refusal(client.create(install))).toEqual({
      status: 422,
      message: expect.stringContaining('exactly one of value or valueFrom must be set'),
    });
    delete install.spec.parameters[0].value;
    const created = await client.create<Obj>(install);
    expect(created.spec.parameters[0]).toEqual({
      name: 'DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'db-password' } },
    });
    // its spec changes freely: an AppInstall is not a request
    await client.mergePatch(ferryRef('AppInstall', ns, 'shop'), { spec: { version: '2.0.0' } });
  });

  it('AppInstall: a volume override may grow, never shrink', async () => {
    const install = shopInstall(ns, APP, '1.0.0', {
      overrides: [{ component: 'db', volumes: [{ name: 'data', size: '20Gi', storageClassName: 'fast' }] }],
    });
    install.metadata!.name = 'storage';
    await client.create(install);
    const ref = ferryRef('AppInstall', ns, 'storage');
    const sized = (size: string) => ({
      spec: { overrides: [{ component: 'db', volumes: [{ name: 'data', size, storageClassName: 'fast' }] }] },
    });
    expect(await refusal(client.mergePatch(ref, sized('19Gi')))).toEqual({
      status: 422,
      message: expect.stringContaining('volume size may only grow: a PersistentVolumeClaim cannot shrink'),
    });
    // by value, not by text: 0.5Ti is more than 20Gi
    await client.mergePatch(ref, sized('0.5Ti'));
    expect((await client.get<Obj>(ref))!.spec.overrides[0].volumes[0].size).toBe('0.5Ti');
  });

  it('AppInstall: an HTTPRoute needs a gateway and takes no Ingress settings', async () => {
    const install = shopInstall(ns, APP, '1.0.0', {
      overrides: [
        { component: 'web', routes: [{ name: 'public', kind: 'HTTPRoute', tlsSecretName: 'tls' }] },
      ],
    });
    install.metadata!.name = 'routes';
    const refused = await refusal(client.create(install));
    expect(refused.status).toBe(422);
    expect(refused.message).toContain('kind HTTPRoute needs gateway (its parent)');
    expect(refused.message).toContain('tlsSecretName and className are only for kind Ingress');
    install.spec.overrides = [
      { component: 'web', routes: [{ name: 'public', kind: 'HTTPRoute', gateway: { name: 'edge' } }] },
    ];
    const created = await client.create<Obj>(install);
    expect(created.spec.overrides[0].routes[0]).toEqual({
      name: 'public',
      kind: 'HTTPRoute',
      gateway: { name: 'edge' },
    });
    expect(
      await refusal(
        client.mergePatch(ferryRef('AppInstall', ns, 'routes'), {
          spec: {
            overrides: [{ component: 'web', routes: [{ name: 'public', gateway: { name: 'edge' } }] }],
          },
        }),
      ),
    ).toEqual({ status: 422, message: expect.stringContaining('gateway is only for kind HTTPRoute') });
  });

  it('AppUpgrade: approving is the only change, and it cannot be withdrawn', async () => {
    const ref = ferryRef('AppUpgrade', ns, 'up');
    await client.create({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'up', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0', approval: 'Manual' },
    });
    expect(await refusal(client.mergePatch(ref, { spec: { toVersion: '3.0.0' } }))).toEqual({
      status: 422,
      message: expect.stringContaining('spec is immutable except spec.approved'),
    });
    await client.mergePatch(ref, { spec: { approved: true } });
    expect(await refusal(client.mergePatch(ref, { spec: { approved: false } }))).toEqual({
      status: 422,
      message: expect.stringContaining('spec.approved cannot be withdrawn'),
    });
    expect((await client.get<Obj>(ref))!.spec).toMatchObject({ toVersion: '2.0.0', approved: true });
  });

  it('AppRollback: the spec is immutable, metadata is not', async () => {
    const ref = ferryRef('AppRollback', ns, 'back');
    await client.create({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppRollback',
      metadata: { name: 'back', namespace: ns },
      spec: { install: 'shop', toRevision: 1 },
    });
    expect(await refusal(client.mergePatch(ref, { spec: { toRevision: 2 } }))).toEqual({
      status: 422,
      message: expect.stringContaining('spec is immutable'),
    });
    await client.mergePatch(ref, { metadata: { annotations: { why: 'test' } } });
    expect((await client.get<Obj>(ref))!.spec.toRevision).toBe(1);
  });
});
