export interface DependencyNode {
  name: string;
  dependsOn?: string[];
}

/**
 * Finds a dependency cycle, returned as the path that closes it (['a', 'b', 'a']), or undefined.
 * Dependencies on names that are not nodes are ignored here (validate reports them).
 */
export function findCycle(nodes: readonly DependencyNode[]): string[] | undefined {
  const edges = new Map(nodes.map((n) => [n.name, n.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of edges.get(name) ?? []) {
      if (!edges.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };

  for (const node of nodes) {
    const cycle = visit(node.name);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Groups nodes into rollout levels: level 0 has no dependencies among the nodes, level n depends only
 * on earlier levels. Names inside a level keep the input order. Throws on a cycle.
 */
export function dependencyLevels(nodes: readonly DependencyNode[]): string[][] {
  const cycle = findCycle(nodes);
  if (cycle) throw new Error(`dependency cycle: ${cycle.join(' -> ')}`);
  const names = new Set(nodes.map((n) => n.name));
  const level = new Map<string, number>();
  const levelOf = (node: DependencyNode): number => {
    const known = level.get(node.name);
    if (known !== undefined) return known;
    const deps = (node.dependsOn ?? []).filter((d) => names.has(d));
    const value =
      deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => levelOf(nodes.find((n) => n.name === d)!)));
    level.set(node.name, value);
    return value;
  };
  const levels: string[][] = [];
  for (const node of nodes) {
    const l = levelOf(node);
    (levels[l] ??= []).push(node.name);
  }
  return levels.filter((l) => l !== undefined);
}
