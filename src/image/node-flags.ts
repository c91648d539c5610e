/**
 * Node's flags in the operator image's entrypoint, and wherever tests, the demo and the benchmarks
 * start the operator, so that they run what ships. `--optimize-for-size` makes V8 grow its heap by a
 * smaller factor before it collects: the operator's live heap at 2,000 installs is ~71 MiB, and
 * without the flag its RSS swung between 180 and 311 MiB with uncollected garbage
 * (bench/operator/RESULTS.md, "Memory").
 */
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];
