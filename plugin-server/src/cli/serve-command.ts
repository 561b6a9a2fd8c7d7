import type { Command } from 'commander';

export function registerServeCommand(_program: Command): void {
  // Filled in as the commands are built.
}
