/**
 * The `lifeline` command line. Each command family lives in its own file and registers itself on
 * the program here; this file only wires them together and maps errors to exit codes.
 *
 * A family is loaded only when its command is run (all of them for the help and for a command
 * nobody knows): `serve` brings the whole server with it, and a `repo` or `plan` command would
 * otherwise spend seconds loading it on a busy machine before doing anything.
 */
import { Command, CommanderError } from 'commander';
import { describeError, isLifelineError } from '../errors/index.js';

type Register = (program: Command) => void;
const FAMILIES: readonly { readonly commands: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { commands: ['vcenter'], load: async () => (await import('./vcenter-commands.js')).registerVcenterCommands },
  { commands: ['repo'], load: async () => (await import('./repo-commands.js')).registerRepoCommands },
  { commands: ['serve'], load: async () => (await import('./serve-command.js')).registerServeCommand },
  { commands: ['register', 'unregister', 'registration'], load: async () => (await import('./register-commands.js')).registerRegistrationCommands },
  { commands: ['site'], load: async () => (await import('./site-commands.js')).registerSiteCommands },
  { commands: ['plan'], load: async () => (await import('./plan-commands.js')).registerPlanCommands },
];

export async function main(argv: string[]): Promise<number> {
  const program = new Command('lifeline')
    .description('Lifeline: backup and disaster recovery for vSphere virtual machines')
    .exitOverride()
    .showHelpAfterError();
  // The first word after the program's own options names the family (argv: node, script, ...).
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  const family = FAMILIES.find((f) => word !== undefined && f.commands.includes(word));
  for (const f of family ? [family] : FAMILIES) (await f.load())(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    const code = isLifelineError(err) ? ` [${err.code}]` : '';
    process.stderr.write(`lifeline: ${describeError(err)}${code}\n`);
    return 1;
  }
}
