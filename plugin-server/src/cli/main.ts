/**
 * The `lifeline` command line. Each command family lives in its own file and registers itself on
 * the program here; this file only wires them together and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { describeError, isLifelineError } from '../errors/index.js';
import { registerVcenterCommands } from './vcenter-commands.js';
import { registerRepoCommands } from './repo-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerRegistrationCommands } from './register-commands.js';
import { registerSiteCommands } from './site-commands.js';
import { registerPlanCommands } from './plan-commands.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('lifeline')
    .description('Lifeline: backup and disaster recovery for vSphere virtual machines')
    .exitOverride()
    .showHelpAfterError();
  registerVcenterCommands(program);
  registerRepoCommands(program);
  registerServeCommand(program);
  registerRegistrationCommands(program);
  registerSiteCommands(program);
  registerPlanCommands(program);
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
