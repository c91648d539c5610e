import { KubeApiError } from '../kube/client.js';
import { InvalidInputError } from '../model/problems.js';
import { showError } from './errors.js';

describe('showError', () => {
  it('names the fields an invalid request got wrong', () => {
    const error = new KubeApiError(
      422,
      'Invalid',
      'AppUpgrade.ferry.dev "x" is invalid: spec.install: Invalid value',
      {
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "A": must be a DNS label',
            field: 'spec.install',
          },
        ],
      },
    );
    expect(showError('Preview upgrade', error)).toEqual({
      title: 'Preview upgrade: refused as invalid',
      message: error.message,
      fields: [{ field: 'spec.install', message: 'Invalid value: "A": must be a DNS label' }],
    });
  });

  it("says when the cluster's RBAC forbids it", () => {
    const error = new KubeApiError(
      403,
      'Forbidden',
      'appupgrades.ferry.dev "x" is forbidden: User "v" cannot patch',
    );
    expect(showError('Approve', error)).toMatchObject({
      title: "Approve: forbidden by the cluster's RBAC",
      fields: [],
    });
  });

  it("reports Ferry's own checks field by field", () => {
    const error = new InvalidInputError([
      { object: 'AppInstall/ns/shop', field: 'spec.parameters.DB_PASSWORD', message: 'required' },
    ]);
    expect(showError('Install', error).fields).toEqual([
      { field: 'spec.parameters.DB_PASSWORD', message: 'required' },
    ]);
  });

  it('shows anything else by its message', () => {
    expect(showError('Load', new Error('socket hang up'))).toEqual({
      title: 'Load failed',
      message: 'socket hang up',
      fields: [],
    });
  });
});
