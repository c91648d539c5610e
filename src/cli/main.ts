#!/usr/bin/env node
import { printable } from '../model/printable.js';
import { InvalidInputError, formatProblem } from '../model/problems.js';
import { diffCommand, diffHelp } from './commands/diff.js';
import { historyCommand, historyHelp } from './commands/history.js';
import { operatorCommand, operatorHelp } from './commands/operator.js';
import { rollbackCommand, rollbackHelp } from './commands/rollback.js';
import { statusCommand, statusHelp } from './commands/status.js';
import { upgradeCommand, upgradeHelp } from './commands/upgrade.js';
import { exportCommand, exportHelp } from './commands/export.js';
import { importCommand, importHelp } from './commands/import.js';
import { inspectCommand, inspectHelp, verifyCommand, verifyHelp } from './commands/inspect.js';
import { keysCommand, keysHelp } from './commands/keys.js';
import { renderCommand, renderHelp } from './commands/render.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { ManifestReadError } from './manifests.js';
import type { Output } from './output.js';
import { ProblemsFound, UsageError, processOutput } from './output.js';

interface Command {
  summary: string;
  help: string;
  run(args: string[], output: Output): void | Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  validate: {
    summary: 'check AppTemplate and AppInstall manifests',
    help: validateHelp,
    run: validateCommand,
  },
  render: { summary: 'print the objects an AppInstall renders to', help: renderHelp, run: renderCommand },
  diff: { summary: 'show the upgrade plan between two template versions', help: diffHelp, run: diffCommand },
  status: {
    summary: 'show an installed application and its components',
    help: statusHelp,
    run: statusCommand,
  },
  history: { summary: 'list the revisions of an install', help: historyHelp, run: historyCommand },
  upgrade: {
    summary: 'plan and run an upgrade (AppUpgrade), following it live',
    help: upgradeHelp,
    run: upgradeCommand,
  },
  rollback: {
    summary: 'restore a recorded revision (AppRollback), following it live',
    help: rollbackHelp,
    run: rollbackCommand,
  },
  operator: {
    summary: 'run the operator (reconciles Ferry resources)',
    help: operatorHelp,
    run: operatorCommand,
  },
  export: { summary: 'write an offline package (templates + images)', help: exportHelp, run: exportCommand },
  import: {
    summary: 'verify a package and import it into a site registry and cluster',
    help: importHelp,
    run: importCommand,
  },
  inspect: { summary: 'show what an offline package holds', help: inspectHelp, run: inspectCommand },
  verify: {
    summary: 'check an offline package (digests, SHA256SUMS, signature)',
    help: verifyHelp,
    run: verifyCommand,
  },
  keys: { summary: 'generate an ed25519 key pair for signing packages', help: keysHelp, run: keysCommand },
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
  const command = COMMANDS[name];
  if (!command) {
    output.err(`ferry: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
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

function report(error: unknown, name: string, command: Command, output: Output): number {
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
  // A closed pipe (ferry history | head) ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
