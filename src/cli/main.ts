#!/usr/bin/env node
import { printable } from '../model/printable.js';
import { InvalidInputError, formatProblem } from '../model/problems.js';
import type { Output } from './output.js';
import { ManifestReadError, ProblemsFound, UsageError, processOutput } from './output.js';

interface CommandModule {
  help: string;
  run(args: string[], output: Output): void | Promise<void>;
}

interface Command {
  summary: string;
  /** Loaded when the command runs, so e.g. verify never loads the Kubernetes client. */
  load(): Promise<CommandModule>;
}

const COMMANDS: Record<string, Command> = {
  validate: {
    summary: 'check AppTemplate and AppInstall manifests',
    load: async () => {
      const m = await import('./commands/validate.js');
      return { help: m.validateHelp, run: m.validateCommand };
    },
  },
  render: {
    summary: 'print the objects an AppInstall renders to',
    load: async () => {
      const m = await import('./commands/render.js');
      return { help: m.renderHelp, run: m.renderCommand };
    },
  },
  diff: {
    summary: 'show the upgrade plan between two template versions',
    load: async () => {
      const m = await import('./commands/diff.js');
      return { help: m.diffHelp, run: m.diffCommand };
    },
  },
  status: {
    summary: 'show an installed application and its components',
    load: async () => {
      const m = await import('./commands/status.js');
      return { help: m.statusHelp, run: m.statusCommand };
    },
  },
  history: {
    summary: 'list the revisions of an install',
    load: async () => {
      const m = await import('./commands/history.js');
      return { help: m.historyHelp, run: m.historyCommand };
    },
  },
  upgrade: {
    summary: 'plan and run an upgrade (AppUpgrade), following it live',
    load: async () => {
      const m = await import('./commands/upgrade.js');
      return { help: m.upgradeHelp, run: m.upgradeCommand };
    },
  },
  rollback: {
    summary: 'restore a recorded revision (AppRollback), following it live',
    load: async () => {
      const m = await import('./commands/rollback.js');
      return { help: m.rollbackHelp, run: m.rollbackCommand };
    },
  },
  templates: {
    summary: 'list the apps a cluster offers: versions, origin, notes, where installed',
    load: async () => {
      const m = await import('./commands/templates.js');
      return { help: m.templatesHelp, run: m.templatesCommand };
    },
  },
  install: {
    summary: 'create an AppInstall from a template, checking its parameters (or print it)',
    load: async () => {
      const m = await import('./commands/install.js');
      return { help: m.installHelp, run: m.installCommand };
    },
  },
  publish: {
    summary: 'make the next AppTemplate version from what runs (an AppInstall or labelled workloads)',
    load: async () => {
      const m = await import('./commands/publish.js');
      return { help: m.publishHelp, run: m.publishCommand };
    },
  },
  template: {
    summary: 'make an AppTemplate from a Docker Compose file (template from-compose)',
    load: async () => {
      const m = await import('./commands/template.js');
      return { help: m.templateHelp, run: m.templateCommand };
    },
  },
  console: {
    summary:
      'serve a web console on 127.0.0.1 (templates, installs, upgrades, history) with your credentials',
    load: async () => {
      const m = await import('./commands/console.js');
      return { help: m.consoleHelp, run: m.consoleCommand };
    },
  },
  operator: {
    summary: 'run the operator (reconciles Ferry resources)',
    load: async () => {
      const m = await import('./commands/operator.js');
      return { help: m.operatorHelp, run: m.operatorCommand };
    },
  },
  export: {
    summary: 'write an offline package (templates + images)',
    load: async () => {
      const m = await import('./commands/export.js');
      return { help: m.exportHelp, run: m.exportCommand };
    },
  },
  import: {
    summary: 'verify a package and import it into a site registry and cluster',
    load: async () => {
      const m = await import('./commands/import.js');
      return { help: m.importHelp, run: m.importCommand };
    },
  },
  inspect: {
    summary: 'show what an offline package holds',
    load: async () => {
      const m = await import('./commands/inspect.js');
      return { help: m.inspectHelp, run: m.inspectCommand };
    },
  },
  verify: {
    summary: 'check an offline package (digests, SHA256SUMS, signature)',
    load: async () => {
      const m = await import('./commands/inspect.js');
      return { help: m.verifyHelp, run: m.verifyCommand };
    },
  },
  market: {
    summary: 'share apps through an app market on an OCI registry (push, ls, show, list-app)',
    load: async () => {
      const m = await import('./commands/market.js');
      return { help: m.marketHelp, run: m.marketCommand };
    },
  },
  keys: {
    summary: 'generate an ed25519 key pair for signing packages',
    load: async () => {
      const m = await import('./commands/keys.js');
      return { help: m.keysHelp, run: m.keysCommand };
    },
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: ferry COMMAND [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `ferry COMMAND --help` for the options of a command.',
  ].join('\n');
}

/** Runs the CLI and returns its exit code: 0 ok, 1 problems found or failure, 2 usage error. */
export async function main(argv: string[], sink: Output = processOutput): Promise<number> {
  const [name, ...args] = argv;
  // what commands print can hold text from packages and cluster objects: never terminal controls
  const output: Output = {
    out: (text) => sink.out(printable(text, { keepLines: true })),
    err: (text) => sink.err(printable(text, { keepLines: true })),
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    output.out(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    output.err(`ferry: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (args.includes('--help') || args.includes('-h')) {
    output.out(command.help);
    return 0;
  }
  try {
    await command.run(args, output);
    return 0;
  } catch (error) {
    return report(error, name, command, output);
  }
}

function report(error: unknown, name: string, command: CommandModule, output: Output): number {
  if (error instanceof ProblemsFound) {
    output.err(`ferry ${name}: ${error.message}`);
    return 1;
  }
  if (error instanceof InvalidInputError) {
    for (const p of error.problems) output.err(formatProblem(p));
    return 1;
  }
  if (error instanceof ManifestReadError) {
    output.err(error.message);
    return 1;
  }
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    output.err(`ferry ${name}: ${(error as Error).message}\n\n${command.help}`);
    return 2;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code && /^E[A-Z]+$/.test(code)) {
    // a file-system or network error of the system: one line, the path is in the message
    output.err(`ferry ${name}: ${(error as Error).message}`);
    return 1;
  }
  output.err(`ferry ${name}: ${(error as Error).stack ?? String(error)}`);
  return 1;
}

const invokedDirectly =
  import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/ferry');
if (invokedDirectly) {
  // V8's code cache for the modules a command loads (in the OS temp dir, keyed by their content):
  // a run after the first compiles almost nothing. NODE_DISABLE_COMPILE_CACHE=1 turns it off;
  // where the cache cannot be written, nothing changes.
  process.getBuiltinModule('node:module').enableCompileCache?.();
  // A closed pipe (ferry history | head) ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
