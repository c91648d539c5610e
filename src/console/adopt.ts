import type { ComponentOverride, UpgradePlan } from '../api/index.js';
import { adoptKey } from './pages/plan.js';

type NotApplied = UpgradePlan['notApplied'][number];

/**
 * The install's overrides with the chosen not-applied values adopted: the template's value becomes a
 * site override (env or config file of that component), which wins over every template from then on.
 * Volumes cannot be overridden and are left out. Other overrides are kept as they are.
 */
export function adoptOverrides(
  overrides: readonly ComponentOverride[],
  notApplied: readonly NotApplied[],
  keys: ReadonlySet<string>,
): { overrides: ComponentOverride[]; adopted: NotApplied[] } {
  const out: ComponentOverride[] = structuredClone([...overrides]);
  const adopted = notApplied.filter((n) => keys.has(adoptKey(n)) && n.kind !== 'Volume');
  for (const n of adopted) {
    let entry = out.find((o) => o.component === n.component);
    if (!entry) out.push((entry = { component: n.component }));
    if (n.kind === 'Env') {
      const env = (entry.env ??= []);
      const found = env.find((e) => e.name === n.name);
      if (found) found.value = n.template;
      else env.push({ name: n.name, value: n.template });
    } else {
      const files = (entry.configFiles ??= []);
      const found = files.find((f) => f.name === n.name);
      if (found) found.content = n.template;
      else files.push({ name: n.name, content: n.template });
    }
  }
  return { overrides: out, adopted };
}
