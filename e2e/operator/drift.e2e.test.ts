/**
 * Field-level drift: someone edits a managed Deployment's image or env with kubectl. The operator
 * sees that its field manager no longer owns the field (managedFields), re-applies the component's
 * revision, and records an Event naming the field and who had set it; then it writes nothing more.
 */
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  createShopSecret,
  envOf,
  imageOf,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
  workload,
} from '../support/shop.js';
import {
  OperatorProcess,
  createNamespace,
  kube,
  notYet,
  run,
  sleep,
  waitFor,
  world,
} from '../support/world.js';

const APP = `drift-${Date.now().toString(36)}`;

describe('field-level drift correction', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  const kubectl = (...args: string[]) =>
    run(join(world.bin, 'kubectl'), ['--kubeconfig', world.kubeconfig, '-n', ns, ...args]);
  const driftEvents = async () =>
    (await client.list<Obj>({ apiVersion: 'v1', kind: 'Event', namespace: ns })).items
      .filter((e) => e.reason === 'DriftCorrected')
      .map((e) => e.message as string);

  beforeAll(async () => {
    client = kube();
    await userApply(client, shopTemplate('1.0.0', APP));
    operator = await OperatorProcess.start();
    ns = await createNamespace(client, 'drift');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '1.0.0'));
    await waitReady(client, ns, 1);
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    await client.delete(ferryRef('AppTemplate', undefined, `${APP}.1.0.0`));
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
  });

  it('restores an image changed with kubectl set image, with an Event naming the field', async () => {
    const image = imageOf(await workload(client, ns, 'api'));
    await kubectl('set', 'image', 'deployment/shop-api', 'api=registry.example.com/someone/else:9');
    await waitFor('api image restored', async () => {
      const now = imageOf(await workload(client, ns, 'api'));
      return now === image ? now : notYet(now);
    });
    // the Event is recorded after the re-apply that restored the field: wait for it too
    const expected = 're-applied api: api spec.template.spec.containers[api].image (now set by kubectl-set)';
    await waitFor('the drift Event', async () => {
      const events = await driftEvents();
      return events.includes(expected) ? events : notYet(events);
    });
  });

  it('restores an env value changed with kubectl set env, naming the variable', async () => {
    const before = envOf(await workload(client, ns, 'api'));
    await kubectl('set', 'env', 'deployment/shop-api', 'LOG_LEVEL=trace');
    await waitFor('api env restored', async () => {
      const env = envOf(await workload(client, ns, 'api'));
      return env.LOG_LEVEL === before.LOG_LEVEL ? env : notYet(env);
    });
    // the Event is recorded after the re-apply that restored the field: wait for it too
    const expected =
      're-applied api: api spec.template.spec.containers[api].env[LOG_LEVEL] (now set by kubectl-set)';
    await waitFor('the drift Event', async () => {
      const events = await driftEvents();
      return events.includes(expected) ? events : notYet(events);
    });
  });

  it('then writes nothing more: no further correction, no new revision', async () => {
    const events = (await driftEvents()).length;
    const generation = (await workload(client, ns, 'api'))!.metadata!.generation; // spec writes only
    await sleep(5_000);
    expect((await driftEvents()).length).toBe(events);
    expect((await workload(client, ns, 'api'))!.metadata!.generation).toBe(generation);
    expect((await revisions(client, ns)).map((r) => r.spec.revision)).toEqual([1]);
  });
});
