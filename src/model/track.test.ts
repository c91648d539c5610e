import type { AppInstall, AppUpgrade } from '../api/index.js';
import { appUpgradeSchema } from '../api/index.js';
import { shopInstall, shopTemplate } from '../testing/fixtures.js';
import { revisionOf } from '../testing/install-world.js';
import { draftInstall } from './drafts.js';
import type { TrackInput } from './track.js';
import { LABEL_TRACK, trackedUpgrade, trackedUpgradeName, versionsInTrack } from './track.js';

const install = (change: (i: AppInstall) => void = () => undefined) => {
  const i = shopInstall();
  i.spec.upgradePolicy.track = 'minor';
  change(i);
  return i;
};
const at = (version: string, outcome: 'Succeeded' | 'Failed' | 'Progressing' = 'Succeeded', revision = 1) => {
  const template = shopTemplate('1.0.0').spec;
  const draft = draftInstall({ ...template, version }, install().spec);
  return revisionOf(install(), revision, draft, { outcome });
};
const upgrade = (name: string, spec: Partial<AppUpgrade['spec']>, phase?: string, labels = {}): AppUpgrade =>
  appUpgradeSchema.parse({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppUpgrade',
    metadata: { name, namespace: 'shop', labels },
    spec: { install: 'shop', ...spec },
    ...(phase ? { status: { phase } } : {}),
  });
const decide = (input: Partial<TrackInput>) =>
  trackedUpgrade({
    install: install(),
    revisions: [at('1.0.0')],
    versions: ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '1.2.0-rc.1'],
    upgrades: [],
    rollbackPending: false,
    ...input,
  });
const created = (input: Partial<TrackInput>) => {
  const d = decide(input);
  return d.create && { name: d.create.metadata.name, spec: d.create.spec, supersede: d.supersede };
};

describe('versionsInTrack', () => {
  const all = ['0.9.0', '1.0.0', '1.0.1', '1.0.10', '1.1.0', '1.2.0-rc.1', '2.0.0', '1.0.2-beta'];
  it('patch: same major.minor; minor: same major; by SemVer, highest first; pre-releases only when asked', () => {
    expect(versionsInTrack('1.0.0', all, 'patch')).toEqual(['1.0.10', '1.0.1']);
    expect(versionsInTrack('1.0.0', all, 'minor')).toEqual(['1.1.0', '1.0.10', '1.0.1']);
    expect(versionsInTrack('1.0.0', all, 'minor', true)).toEqual([
      '1.2.0-rc.1',
      '1.1.0',
      '1.0.10',
      '1.0.2-beta',
      '1.0.1',
    ]);
    expect(versionsInTrack('2.0.0', all, 'minor')).toEqual([]);
  });
});

describe('trackedUpgrade', () => {
  it('proposes the highest version in range, Manual unless autoApprove, with a deterministic name', () => {
    expect(created({})).toEqual({
      name: 'shop-track-1.1.0',
      spec: expect.objectContaining({
        install: 'shop',
        toVersion: '1.1.0',
        approval: 'Manual',
        approved: false,
      }),
      supersede: [],
    });
    expect(created({ install: install((i) => (i.spec.upgradePolicy.track = 'patch')) })?.spec.toVersion).toBe(
      '1.0.1',
    );
    expect(
      created({ install: install((i) => (i.spec.upgradePolicy.autoApprove = true)) })?.spec.approval,
    ).toBe('Automatic');
    expect(created({ install: install((i) => (i.spec.includePrereleases = true)) })?.spec.toVersion).toBe(
      '1.2.0-rc.1',
    );
    expect(decide({}).create?.metadata.labels).toEqual({ [LABEL_TRACK]: 'minor' });
  });

  it('proposes nothing without track, while a change runs, after a failed one, or while a rollback waits', () => {
    expect(decide({ install: install((i) => delete i.spec.upgradePolicy.track) }).create).toBeUndefined();
    expect(decide({ revisions: [at('1.0.0', 'Progressing')] }).create).toBeUndefined();
    expect(decide({ revisions: [at('1.0.0'), at('1.1.0', 'Failed', 2)] }).create).toBeUndefined();
    expect(decide({ revisions: [] }).create).toBeUndefined();
    expect(decide({ rollbackPending: true }).create).toBeUndefined();
  });

  it('never proposes a version twice (a restart finds it by name), nor one that failed before', () => {
    for (const phase of [undefined, 'WaitingForApproval', 'Succeeded', 'Failed'])
      expect(
        decide({ upgrades: [upgrade('shop-track-1.1.0', { toVersion: '1.1.0' }, phase)] }).create,
      ).toBeUndefined();
    const failedBefore = [at('1.0.0'), at('1.1.0', 'Failed', 2), at('1.0.0', 'Succeeded', 3)];
    expect(decide({ revisions: failedBefore }).create).toBeUndefined();
  });

  it("waits for anyone else's request; replaces its own proposal still waiting for approval", () => {
    const users = upgrade('mine', { toVersion: '2.0.0', approval: 'Manual' }, 'WaitingForApproval');
    expect(decide({ upgrades: [users] }).create).toBeUndefined();
    const ended = upgrade('old', { toVersion: '2.0.0' }, 'Succeeded');
    expect(created({ upgrades: [ended] })?.name).toBe('shop-track-1.1.0');

    const tracked = { [LABEL_TRACK]: 'minor' };
    const earlier = upgrade(
      'shop-track-1.0.1',
      { toVersion: '1.0.1', approval: 'Manual' },
      'WaitingForApproval',
      tracked,
    );
    expect(created({ upgrades: [earlier] })).toEqual(
      expect.objectContaining({ name: 'shop-track-1.1.0', supersede: ['shop-track-1.0.1'] }),
    );
    const approved = upgrade(
      'shop-track-1.0.1',
      { toVersion: '1.0.1', approval: 'Manual', approved: true },
      'Planned',
      tracked,
    );
    expect(decide({ upgrades: [approved] }).create).toBeUndefined();
  });

  it('ignores autoApprove on an install a GitOps tool manages: a preview, and says why', () => {
    const managed = install((i) => {
      i.spec.upgradePolicy.autoApprove = true;
      i.metadata.labels = { 'kustomize.toolkit.fluxcd.io/name': 'apps' };
    });
    const d = decide({ install: managed });
    expect(d.create?.spec.approval).toBe('Manual');
    expect(d.autoApproveIgnored).toBe('kustomize.toolkit.fluxcd.io/name');
  });

  it('names are valid object names for any SemVer version', () => {
    expect(trackedUpgradeName('shop', '1.2.0-rc.1')).toBe('shop-track-1.2.0-rc.1');
    expect(trackedUpgradeName('shop', '1.2.0-RC.1')).toMatch(/^shop-track-1\.2\.0-rc\.1-[0-9a-f]{8}$/);
    expect(trackedUpgradeName('shop', '1.2.0-RC.1')).not.toBe(trackedUpgradeName('shop', '1.2.0-Rc.1'));
  });
});
