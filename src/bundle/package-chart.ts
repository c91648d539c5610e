import type { BundleManifest } from '../api/index.js';
import { BundleError } from './errors.js';
import type { Chart } from './operator-chart.js';
import { chartMetadata } from './operator-chart.js';
import { CHART_DIR, MANIFEST_ENTRY } from './package-format.js';
import { loadYamlEntry } from './yaml-entry.js';

/**
 * The chart of an operator package: every chart/ entry under manifest.operator.chart, whose
 * Chart.yaml must agree with the manifest. An app package holds no chart/ entry, an operator
 * package no templates/ entry, and no two chart files may differ only in case (they would
 * collide on a case-insensitive disk).
 */
export function readChart(manifest: BundleManifest, metadata: Map<string, Buffer>): Chart | undefined {
  const operator = manifest.operator;
  for (const name of metadata.keys()) {
    if (operator && name.startsWith('templates/'))
      throw new BundleError('an operator package carries no templates', { entry: name });
    if (!operator && name.startsWith(`${CHART_DIR}/`))
      throw new BundleError(`chart files in an app package (${MANIFEST_ENTRY} has no operator)`, {
        entry: name,
      });
  }
  if (!operator) return undefined;
  const prefix = `${operator.chart}/`;
  if (operator.chart !== `${CHART_DIR}/${operator.chartName}`)
    throw new BundleError(
      `operator.chart is ${operator.chart}, expected ${CHART_DIR}/${operator.chartName}`,
      {
        entry: MANIFEST_ENTRY,
      },
    );
  if (manifest.app !== operator.chartName || manifest.versions.join() !== operator.appVersion)
    throw new BundleError(
      `app ${manifest.app} ${manifest.versions.join(', ')} does not match the chart ${operator.chartName} ${operator.appVersion}`,
      { entry: MANIFEST_ENTRY },
    );
  const files: Chart['files'] = [];
  const folded = new Set<string>();
  for (const [name, bytes] of metadata) {
    if (!name.startsWith(`${CHART_DIR}/`)) continue;
    if (!name.startsWith(prefix))
      throw new BundleError(`chart file outside ${operator.chart}`, { entry: name });
    const lower = name.toLowerCase();
    if (folded.has(lower))
      throw new BundleError('two chart files differ only in case: refused', { entry: name });
    folded.add(lower);
    files.push({ path: name.slice(prefix.length), bytes });
  }
  checkChartLayout(files, prefix);
  const chartYaml = files.find((f) => f.path === 'Chart.yaml');
  if (!chartYaml)
    throw new BundleError('missing from the operator package', { entry: `${prefix}Chart.yaml` });
  const meta = chartMetadata(chartYaml.bytes, `${prefix}Chart.yaml`);
  if (
    meta.name !== operator.chartName ||
    meta.version !== operator.chartVersion ||
    meta.appVersion !== operator.appVersion
  )
    throw new BundleError(
      `holds ${meta.name} ${meta.version} (appVersion ${meta.appVersion}); ${MANIFEST_ENTRY} says ${operator.chartName} ${operator.chartVersion} (appVersion ${operator.appVersion})`,
      { entry: `${prefix}Chart.yaml` },
    );
  return { ...meta, files };
}

/**
 * What Helm's chart loader (or writing the chart out) would refuse, refused before anything is
 * pushed: a file where another file's directory is, subcharts (Ferry's chart has none), and a
 * values.yaml that is not a YAML mapping.
 */
function checkChartLayout(files: Chart['files'], prefix: string): void {
  const paths = new Set(files.map((f) => f.path));
  for (const file of files) {
    const segments = file.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (paths.has(parent))
        throw new BundleError(`${prefix}${parent} is a file, and also the directory of this one`, {
          entry: `${prefix}${file.path}`,
        });
    }
    if (segments[0] === 'charts')
      throw new BundleError('subcharts are not supported in an operator package', {
        entry: `${prefix}${file.path}`,
      });
  }
  const values = files.find((f) => f.path === 'values.yaml');
  if (!values) return;
  const doc = loadYamlEntry(values.bytes, `${prefix}values.yaml`);
  if (doc !== undefined && doc !== null && (typeof doc !== 'object' || Array.isArray(doc)))
    throw new BundleError('not a YAML mapping (Helm refuses such values)', { entry: `${prefix}values.yaml` });
}
