import type { Command } from 'commander';

export function registerVcenterCommands(_program: Command): void {
  // Filled in as the commands are built.
}
