import type { AppInstall, AppRevision, AppTemplate, AppUpgrade } from '../../api/index.js';
import { appUpgradeSchema } from '../../api/index.js';
import { draftDigest, draftInstall, draftUpgrade } from '../../model/drafts.js';
import { ANNOTATION_APPLIED_SPEC, ANNOTATION_AUTO_ROLLBACK_OF } from '../../model/revisions.js';
import { decodeSnapshot } from '../../model/snapshot.js';
import { revisionOf } from '../../testing/install-world.js';
import { shopInstall, shopTemplate } from '../../testing/fixtures.js';
import type { PendingRequest } from '../cache.js';
import type { DecideInput, InstallAction } from './decide.js';
import { nextAction } from './decide.js';

const install = (change: (i: AppInstall) => void = () => undefined) => {
  const i = shopInstall();
  i.metadata.uid = 'install-uid';
  i.spec.upgradePolicy.autoRollback = false;
  change(i);
  return i;
};
const templates = new Map<string, AppTemplate>([
  ['1.0.0', shopTemplate('1.0.0')],
  ['2.0.0', shopTemplate('2.0.0')],
]);
const installed = (outcome: 'Succeeded' | 'Failed' | 'Progressing' = 'Succeeded', i = install()) =>
  revisionOf(i, 1, draftInstall(shopTemplate('1.0.0').spec, i.spec), { outcome });
const upgraded = (outcome: 'Succeeded' | 'Failed' | 'Progressing', i = install()) =>
  revisionOf(
    i,
    2,
    draftUpgrade(decodeSnapshot(installed().spec.snapshot), shopTemplate('2.0.0').spec, i.spec),
    {
      outcome,
    },
  );
const upgradeRequest = (spec: Partial<AppUpgrade['spec']> = {}): PendingRequest => ({
  kind: 'AppUpgrade',
  request: appUpgradeSchema.parse({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppUpgrade',
    metadata: { name: 'to-2', namespace: 'shop', uid: 'upgrade-uid' },
    spec: { install: 'shop', toVersion: '2.0.0', ...spec },
  }),
});
const allAt = (revision: number | undefined) => () => (revision === undefined ? undefined : String(revision));
const appliedDigest = (i: AppInstall) => draftDigest(i.spec.version, i.spec);

function decide(overrides: Partial<DecideInput>): InstallAction {
  const i = overrides.install ?? install();
  return nextAction({
    install: i,
    revisions: [],
    templates,
    templateExists: (name) => name.startsWith('shop.'),
    pending: [],
    lastAppliedSpecDigest: undefined,
    contentOf: (r: AppRevision) => decodeSnapshot(r.spec.snapshot),
    workloadRevision: allAt(1),
    ...overrides,
  });
}

const summary = (a: InstallAction) => {
  switch (a.type) {
    case 'Continue':
      return `Continue r${a.revision.spec.revision}`;
    case 'AutoRollback':
      return `AutoRollback r${a.failed.spec.revision} → r${a.draft.restoredRevision}`;
    case 'Start':
      return `Start ${a.draft.cause} ${a.draft.version} by ${a.causeRef.kind}${
        a.draft.changedParameters ? ` (${a.draft.changedParameters.join(',')})` : ''
      }`;
    case 'CorrectDrift':
      return `CorrectDrift ${a.components.join(',')}`;
    case 'Stall':
      return `Stall ${a.reason}`;
    case 'InSync':
      return a.appliedSpecDigest ? 'InSync (records the applied spec)' : 'InSync';
  }
};

describe('nextAction', () => {
  const autoRollback = install((i) => (i.spec.upgradePolicy.autoRollback = true));
  const at2 = install((i) => (i.spec.version = '2.0.0'));
  const autoAt2 = install((i) => {
    i.spec.upgradePolicy.autoRollback = true;
    i.spec.version = '2.0.0';
  });
  const restoredAs3 = (i: AppInstall) =>
    revisionOf(
      i,
      3,
      draftInstall(shopTemplate('1.0.0').spec, install().spec),
      { outcome: 'Succeeded' },
      { [ANNOTATION_AUTO_ROLLBACK_OF]: '2' },
    );
  /** api alone upgraded to 2.0.0 by an AppUpgrade (ferry upgrade --component api). */
  const partialUpgrade = (annotations: Record<string, string>): AppRevision => {
    const r = revisionOf(
      at2,
      2,
      draftUpgrade(decodeSnapshot(installed().spec.snapshot), shopTemplate('2.0.0').spec, at2.spec),
      { outcome: 'Succeeded' },
      annotations,
    );
    return { ...r, spec: { ...r.spec, inputsDigest: draftDigest('2.0.0', at2.spec, ['api']) } };
  };
  const cases: [string, Partial<DecideInput>, string][] = [
    ['a new install starts its first revision', {}, 'Start Install 1.0.0 by AppInstall'],
    [
      'a revision in progress is continued before anything else',
      { revisions: [installed('Progressing')], pending: [upgradeRequest()], install: at2 },
      'Continue r1',
    ],
    [
      'a failed upgrade with autoRollback restores the last good revision',
      { install: autoRollback, revisions: [installed(), upgraded('Failed', autoRollback)] },
      'AutoRollback r2 → r1',
    ],
    [
      'an upgrade failed by its migration hook is rolled back like any failed upgrade',
      {
        install: autoRollback,
        revisions: [
          installed(),
          {
            ...upgraded('Failed', autoRollback),
            status: { ...upgraded('Failed').status!, reason: 'HookFailed' },
          },
        ],
      },
      'AutoRollback r2 → r1',
    ],
    [
      'a failed upgrade without autoRollback stays failed',
      { revisions: [installed(), upgraded('Failed')], lastAppliedSpecDigest: appliedDigest(install()) },
      'InSync',
    ],
    [
      'an automatic rollback that failed is not rolled back again',
      {
        install: autoRollback,
        revisions: [
          installed(),
          revisionOf(
            autoRollback,
            2,
            draftInstall(shopTemplate('1.0.0').spec, autoRollback.spec),
            { outcome: 'Failed' },
            {
              [ANNOTATION_AUTO_ROLLBACK_OF]: '1',
            },
          ),
        ],
        lastAppliedSpecDigest: appliedDigest(autoRollback),
        workloadRevision: allAt(2),
      },
      'InSync',
    ],
    [
      'after an automatic rollback the failed spec is not retried, even when the record of it was lost',
      {
        install: autoAt2,
        revisions: [installed('Succeeded', autoAt2), upgraded('Failed', autoAt2), restoredAs3(autoAt2)],
        // the status write that recorded 2.0.0 as applied was refused (409) and not repeated
        lastAppliedSpecDigest: appliedDigest(autoRollback),
        workloadRevision: allAt(3),
      },
      'InSync (records the applied spec)',
    ],
    [
      'an AppUpgrade of some components applied the spec it set, even when the status write that recorded it was lost',
      {
        install: at2,
        revisions: [
          installed('Succeeded', at2),
          partialUpgrade({ [ANNOTATION_APPLIED_SPEC]: appliedDigest(at2) }),
        ],
        lastAppliedSpecDigest: appliedDigest(install()),
        workloadRevision: allAt(2),
      },
      'InSync (records the applied spec)',
    ],
    [
      // what the annotation prevents: the partial upgrade's inputs are not the spec's
      'a revision without the applied-spec annotation is judged by its inputs',
      {
        install: at2,
        revisions: [installed('Succeeded', at2), partialUpgrade({})],
        lastAppliedSpecDigest: appliedDigest(install()),
        workloadRevision: allAt(2),
      },
      'Start ConfigChange 2.0.0 by AppInstall',
    ],
    [
      'after an automatic rollback a spec edited since starts again',
      {
        install: install((i) => {
          i.spec.upgradePolicy.autoRollback = true;
          i.spec.version = '2.0.0';
          i.spec.parameters!.find((p) => p.name === 'PUBLIC_URL')!.value = 'https://shop.example';
        }),
        revisions: [installed('Succeeded', autoAt2), upgraded('Failed', autoAt2), restoredAs3(autoAt2)],
        lastAppliedSpecDigest: appliedDigest(autoAt2),
        workloadRevision: allAt(3),
      },
      'Start Upgrade 2.0.0 by AppInstall',
    ],
    [
      'a failed first install has nothing to roll back to',
      {
        install: autoRollback,
        revisions: [installed('Failed', autoRollback)],
        lastAppliedSpecDigest: appliedDigest(autoRollback),
      },
      'InSync',
    ],
    [
      'a changed spec.version starts an upgrade',
      { install: at2, revisions: [installed()] },
      'Start Upgrade 2.0.0 by AppInstall',
    ],
    [
      'changed parameters at the same version start a configuration change',
      {
        install: install((i) => (i.spec.parameters![1]!.value = 'https://shop.other.example')),
        revisions: [installed()],
      },
      'Start ConfigChange 1.0.0 by AppInstall',
    ],
    [
      'a spec the latest revision already applied is recorded, not re-applied',
      { revisions: [installed()] },
      'InSync (records the applied spec)',
    ],
    [
      'a spec version without a template stalls',
      { install: install((i) => (i.spec.version = '9.9.9')), templateExists: () => false },
      'Stall TemplateNotFound',
    ],
    [
      'an invalid template stalls with its own reason',
      { install: install((i) => (i.spec.version = '9.9.9')) },
      'Stall TemplateInvalid',
    ],
    [
      'an override of an unknown component stalls as InvalidSpec',
      {
        install: install((i) =>
          i.spec.overrides!.push({ component: 'nope', env: [{ name: 'A', value: 'b' }] }),
        ),
      },
      'Stall InvalidSpec',
    ],
    [
      'a pending AppUpgrade starts when the spec is applied',
      {
        revisions: [installed()],
        pending: [upgradeRequest()],
        lastAppliedSpecDigest: appliedDigest(install()),
      },
      'Start Upgrade 2.0.0 by AppUpgrade',
    ],
    [
      'a manual AppUpgrade waits for approval',
      {
        revisions: [installed()],
        pending: [upgradeRequest({ approval: 'Manual' })],
        lastAppliedSpecDigest: appliedDigest(install()),
      },
      'InSync',
    ],
    [
      'an approved manual AppUpgrade starts',
      {
        revisions: [installed()],
        pending: [upgradeRequest({ approval: 'Manual', approved: true })],
        lastAppliedSpecDigest: appliedDigest(install()),
      },
      'Start Upgrade 2.0.0 by AppUpgrade',
    ],
    [
      'a request that cannot be planned is skipped (its own controller reports it)',
      {
        revisions: [installed()],
        pending: [upgradeRequest({ toVersion: '7.0.0' })],
        lastAppliedSpecDigest: appliedDigest(install()),
      },
      'InSync',
    ],
    [
      'a spec change goes before a pending request',
      {
        install: at2,
        revisions: [installed()],
        pending: [upgradeRequest({ toVersion: '1.0.0', allowDowngrade: true })],
      },
      'Start Upgrade 2.0.0 by AppInstall',
    ],
    [
      'a deleted workload is re-applied when idle',
      {
        revisions: [installed()],
        lastAppliedSpecDigest: appliedDigest(install()),
        workloadRevision: (c) => (c === 'api' ? undefined : '1'),
      },
      'CorrectDrift api',
    ],
    [
      'a workload carrying another revision is re-applied',
      {
        revisions: [installed()],
        lastAppliedSpecDigest: appliedDigest(install()),
        workloadRevision: allAt(7),
      },
      'CorrectDrift db,api,web',
    ],
    [
      'drift is not corrected after a failure (the failed state is kept for the admin)',
      {
        revisions: [installed(), upgraded('Failed')],
        lastAppliedSpecDigest: appliedDigest(install()),
        workloadRevision: allAt(undefined),
      },
      'InSync',
    ],
    [
      'a rotated parameter Secret re-renders the same spec, ahead of drift',
      {
        revisions: [installed()],
        lastAppliedSpecDigest: appliedDigest(install()),
        rotation: { revision: 1, components: ['db', 'api'], parameters: ['DB_PASSWORD'] },
        workloadRevision: allAt(undefined),
      },
      'Start ParameterChange 1.0.0 by AppInstall (DB_PASSWORD)',
    ],
    [
      'a rotation found for an earlier revision starts nothing',
      {
        revisions: [installed(), upgraded('Succeeded')],
        lastAppliedSpecDigest: appliedDigest(install((i) => (i.spec.version = '2.0.0'))),
        install: install((i) => (i.spec.version = '2.0.0')),
        rotation: { revision: 1, components: ['db'], parameters: ['DB_PASSWORD'] },
        workloadRevision: allAt(2),
      },
      'InSync',
    ],
    [
      'a rotation waits for a pending request',
      {
        revisions: [installed()],
        lastAppliedSpecDigest: appliedDigest(install()),
        rotation: { revision: 1, components: ['db'], parameters: ['DB_PASSWORD'] },
        pending: [upgradeRequest()],
      },
      'Start Upgrade 2.0.0 by AppUpgrade',
    ],
    [
      'an image or env field changed outside Ferry is drift too, named',
      {
        revisions: [installed()],
        lastAppliedSpecDigest: appliedDigest(install()),
        lostFields: (c) =>
          c === 'api' ? ['api spec.template.spec.containers[api].image (now set by kubectl-set)'] : [],
      },
      'CorrectDrift api',
    ],
    [
      'nothing to do',
      { revisions: [installed()], lastAppliedSpecDigest: appliedDigest(install()) },
      'InSync',
    ],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    expect(summary(decide(input))).toBe(expected);
  });

  it('names the available versions when the template is missing', () => {
    const action = decide({
      install: install((i) => (i.spec.version = '9.9.9')),
      templateExists: () => false,
    });
    expect(action).toMatchObject({
      type: 'Stall',
      message: expect.stringContaining('available versions of shop: 1.0.0, 2.0.0'),
    });
  });
});
