import type { ManagedFieldsEntry, RenderedFields } from './field-drift.js';
import { lostFields } from './field-drift.js';

const container = (fields: Record<string, unknown>) => ({
  'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"api"}': fields } } } },
});
const env = (...names: string[]) =>
  Object.fromEntries(names.map((n) => [`k:{"name":"${n}"}`, { '.': {}, 'f:name': {}, 'f:value': {} }]));
const rendered: RenderedFields = new Map([['api', { list: 'containers', env: ['LOG_LEVEL', 'DB_HOST'] }]]);
const ferry = (fields: Record<string, unknown>): ManagedFieldsEntry => ({
  manager: 'ferry-operator',
  operation: 'Apply',
  fieldsV1: container(fields),
});

describe('lostFields', () => {
  it('finds nothing while Ferry owns the image and every env value it sets', () => {
    const all = ferry({ 'f:image': {}, 'f:env': env('LOG_LEVEL', 'DB_HOST') });
    expect(lostFields([all], rendered)).toEqual([]);
    // shared with a manager that set the same value, and status writes, are no drift
    const other = { manager: 'kubectl', operation: 'Apply', fieldsV1: container({ 'f:image': {} }) };
    const status = {
      manager: 'kube-controller-manager',
      operation: 'Update',
      subresource: 'status',
      fieldsV1: {},
    };
    expect(lostFields([all, other, status], rendered)).toEqual([]);
  });

  it('names an image and an env value someone else took over, and an env entry removed', () => {
    const ours = ferry({
      'f:env': { 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {} } },
    });
    const kubectl = {
      manager: 'kubectl-set',
      operation: 'Update',
      fieldsV1: container({ 'f:image': {}, 'f:env': { 'k:{"name":"LOG_LEVEL"}': { 'f:value': {} } } }),
    };
    expect(lostFields([ours, kubectl], rendered)).toEqual([
      'spec.template.spec.containers[api].image (now set by kubectl-set)',
      'spec.template.spec.containers[api].env[LOG_LEVEL] (now set by kubectl-set)',
      'spec.template.spec.containers[api].env[DB_HOST] (removed)',
    ]);
  });

  it('tells nothing about an object Ferry never applied', () => {
    expect(lostFields([{ manager: 'kubectl', operation: 'Update', fieldsV1: {} }], rendered)).toEqual([]);
    expect(lostFields(undefined, rendered)).toEqual([]);
  });
});
