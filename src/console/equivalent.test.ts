import {
  approveCommand,
  command,
  installCommand,
  rollbackCommand,
  rollbackManifest,
  shellQuote,
  toYaml,
  upgradeManifest,
  upgradePreviewCommand,
} from './equivalent.js';

describe('equivalent commands', () => {
  it('quotes words for a POSIX shell', () => {
    expect(shellQuote('shop@1.0.0')).toBe('shop@1.0.0');
    expect(shellQuote('PUBLIC_URL=https://a.example/x?y')).toBe(`'PUBLIC_URL=https://a.example/x?y'`);
    expect(shellQuote(`it's; rm -rf /`)).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('')).toBe(`''`);
    expect(command('echo', '$HOME')).toBe(`echo '$HOME'`);
  });

  it('writes the ferry command of each action', () => {
    expect(
      installCommand('shop', '1.0.0', 'ns', 'shop', {
        values: [{ name: 'PUBLIC_URL', value: 'https://shop.example' }],
        secrets: [{ name: 'DB_PASSWORD', secret: 'shop-secrets', key: 'db-password' }],
      }),
    ).toBe(
      'ferry install shop@1.0.0 -n ns --set PUBLIC_URL=https://shop.example --set-secret DB_PASSWORD=shop-secrets/db-password',
    );
    expect(installCommand('shop', '1.0.0', 'ns', 'other', { values: [], secrets: [] })).toBe(
      'ferry install shop@1.0.0 -n ns --name other',
    );
    expect(upgradePreviewCommand('shop', 'ns', '2.0.0', 'up')).toBe(
      'ferry upgrade shop -n ns --to 2.0.0 --name up',
    );
    expect(approveCommand('shop', 'ns', 'up')).toBe('ferry upgrade shop -n ns --name up --approve');
    expect(rollbackCommand('shop', 'ns', 1, true)).toBe(
      'ferry rollback shop -n ns --to-revision 1 --prune-added-components',
    );
    expect(rollbackCommand('shop', 'ns', 1, false)).toBe('ferry rollback shop -n ns --to-revision 1');
  });

  it('writes the manifests as YAML', () => {
    expect(toYaml(upgradeManifest('ns', 'up', 'shop', '2.0.0', true))).toBe(
      [
        'apiVersion: ferry.dev/v1alpha1',
        'kind: AppUpgrade',
        'metadata:',
        '  name: up',
        '  namespace: ns',
        'spec:',
        '  install: shop',
        '  toVersion: 2.0.0',
        '  approval: Manual',
        '  approved: true',
        '',
      ].join('\n'),
    );
    expect(rollbackManifest('ns', 'rb', 'shop', 1, false).spec).toEqual({
      install: 'shop',
      toRevision: 1,
      pruneAddedComponents: false,
    });
  });
});
