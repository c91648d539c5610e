import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerKey, operatorImageConfig } from './operator-image.js';

/** The JSON array of a Dockerfile instruction (ENTRYPOINT, CMD) in the repository's Dockerfile. */
const dockerfileArray = (instruction: string): unknown => {
  const text = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'Dockerfile'), 'utf8');
  const line = new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(text);
  return line ? JSON.parse(line[1]!) : undefined;
};

describe('the operator image config', () => {
  const inputs = { version: '0.1.0', basePackages: ['libc6=2.36-9+deb12u14'], nodeVersion: 'v24.21.0' };

  it("is the Dockerfile's: entrypoint, cmd, env, non-root user, workdir, port, labels", () => {
    const config = operatorImageConfig({ ...inputs, revision: 'abc', created: 1700000000 });
    expect(config.entrypoint).toEqual(dockerfileArray('ENTRYPOINT'));
    expect(config.cmd).toEqual(dockerfileArray('CMD'));
    expect(config).toMatchObject({
      entrypoint: ['node', '--optimize-for-size', 'dist/cli/main.js'],
      cmd: ['operator'],
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
      user: '65532:65532',
      workdir: '/app',
      exposedPorts: ['8081/tcp'],
    });
    expect(config.labels).toMatchObject({
      'org.opencontainers.image.title': 'ferry',
      'org.opencontainers.image.version': '0.1.0',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.created': '2023-11-14T22:13:20.000Z',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'dev.ferry.image.node': 'v24.21.0',
    });
  });

  it('has no date or revision unless given', () => {
    const labels = operatorImageConfig(inputs).labels!;
    expect(labels['org.opencontainers.image.created']).toBeUndefined();
    expect(labels['org.opencontainers.image.revision']).toBeUndefined();
  });

  it('keys cached layers by what, inputs and mtime', () => {
    const key = layerKey('node', 'abc', 0);
    expect(layerKey('node', 'abc', 0)).toBe(key);
    expect(
      new Set([key, layerKey('base', 'abc', 0), layerKey('node', 'abd', 0), layerKey('node', 'abc', 1)]).size,
    ).toBe(4);
  });
});
