import type { Command } from 'commander';

export function registerRepoCommands(_program: Command): void {
  // Filled in as the commands are built.
}
