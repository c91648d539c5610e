import type { UpgradePlan } from '../api/index.js';

const SYMBOL = { Added: '+', Removed: '-', Changed: '~', Unchanged: '=' } as const;

function indentBlock(text: string, prefix: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

const labelled = (label: string, value: string) =>
  value.includes('\n')
    ? `      ${label}:\n${indentBlock(value, '        | ')}`
    : `      ${`${label}:`.padEnd(10)}${JSON.stringify(value)}`;

/** The plan as a person reads it: rollout order, per-component changes, what is kept and why. */
export function formatPlan(plan: UpgradePlan, title = 'Upgrade', { preserved = true } = {}): string {
  const lines: string[] = [
    `${title} ${plan.fromVersion} -> ${plan.toVersion}`,
    '',
    'Rollout order (dependencies first):',
  ];
  const hooks = (level: number, phase: 'Pre' | 'Post') =>
    (plan.hooks ?? [])
      .filter((h) => h.level === level && h.phase === phase)
      .map(
        (h) =>
          `     ${phase === 'Pre' ? 'before' : 'after'}: hook ${h.name} (Job for ${h.component}, image ${h.image})`,
      );
  plan.levels.forEach((names, i) => {
    lines.push(`  ${i + 1}. ${names.join(', ')}`, ...hooks(i, 'Pre'), ...hooks(i, 'Post'));
  });
  if (plan.hooks?.length)
    lines.push('  (a hook Job must succeed for the change to go on; it runs once per revision)');
  lines.push('', 'Components:');
  const width = Math.max(...plan.components.map((c) => c.name.length));
  for (const c of plan.components) {
    const name = c.name.padEnd(width);
    if (c.change === 'Added') lines.push(`  + ${name}  added, image ${c.toImage}`);
    else if (c.change === 'Removed')
      lines.push(`  - ${name}  not in ${plan.toVersion}; kept running (image ${c.fromImage})`);
    else if (c.change === 'Unchanged') lines.push(`  = ${name}  unchanged`);
    else {
      lines.push(`  ${SYMBOL[c.change]} ${name}  changed`);
      for (const op of c.patch ?? []) {
        const previous = op.previous === undefined ? '' : ` ${op.previous} ->`;
        const value = op.value === undefined ? '' : ` ${op.value}`;
        lines.push(`      ${op.op.padEnd(7)} ${op.path}${previous}${value}`);
      }
    }
  }
  if (!preserved) return lines.join('\n');
  lines.push('');
  if (plan.notApplied.length) {
    lines.push('Not applied (site configuration is kept; set an override in the AppInstall to adopt):');
    for (const n of plan.notApplied) {
      lines.push(`  ${n.component} ${n.kind} ${n.name}`);
      lines.push(labelled('kept', n.installed));
      lines.push(labelled('template', n.template));
    }
  } else {
    lines.push('Not applied: nothing (no preserved value differs from the template).');
  }
  if (plan.retained.length) {
    lines.push(
      '',
      `Retained (not in ${plan.toVersion}, kept running; delete explicitly if unwanted): ${plan.retained.join(', ')}`,
    );
  }
  return lines.join('\n');
}
