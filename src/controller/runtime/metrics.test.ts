import { Histogram, Metrics, resourceOfPath } from './metrics.js';

const sample = (text: string, series: string) =>
  text
    .split('\n')
    .find((l) => l.startsWith(`${series} `))
    ?.split(' ')[1];

describe('Histogram', () => {
  it('resolves sub-5 ms durations: a 1 ms observation lands in the 1 ms bucket, not only in 5 ms', () => {
    const h = new Histogram('d_seconds', 'test');
    h.observe({ kind: 'install' }, 0.0009);
    const text = h.render();
    expect(sample(text, 'd_seconds_bucket{kind="install",le="0.0005"}')).toBe('0');
    expect(sample(text, 'd_seconds_bucket{kind="install",le="0.001"}')).toBe('1');
    expect(sample(text, 'd_seconds_bucket{kind="install",le="+Inf"}')).toBe('1');
  });
});

describe('Metrics', () => {
  it('counts API errors by code and verb', () => {
    const m = new Metrics();
    m.apiErrors.inc({ code: '403', verb: 'GET' });
    m.apiErrors.inc({ code: '403', verb: 'GET' });
    m.apiErrors.inc({ code: '404', verb: 'GET' });
    const text = m.render();
    expect(text).toContain('# TYPE ferry_kube_api_errors_total counter');
    expect(sample(text, 'ferry_kube_api_errors_total{code="403",verb="GET"}')).toBe('2');
    expect(sample(text, 'ferry_kube_api_errors_total{code="404",verb="GET"}')).toBe('1');
  });
});

describe('resourceOfPath', () => {
  it.each([
    ['/apis/ferry.dev/v1alpha1/namespaces/a/appinstalls/b/status', 'appinstalls/status'],
    ['/apis/ferry.dev/v1alpha1/namespaces/a/appinstalls/b', 'appinstalls'],
    ['/apis/ferry.dev/v1alpha1/namespaces/a/apprevisions', 'apprevisions'],
    ['/api/v1/namespaces/a/events', 'events'],
    ['/apis/apps/v1/namespaces/a/deployments/d?fieldManager=ferry-operator&force=true', 'deployments'],
    ['/apis/ferry.dev/v1alpha1/apptemplates/t.1.0.0/status', 'apptemplates/status'],
    ['/api/v1/namespaces/a', 'namespaces'],
    ['/apis/coordination.k8s.io/v1/namespaces/ferry/leases/l', 'leases'],
  ])('%s → %s', (path, resource) => expect(resourceOfPath(path)).toBe(resource));
});
