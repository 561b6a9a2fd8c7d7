/**
 * `lifeline serve`: runs the Lifeline server in the foreground until SIGTERM or SIGINT, then
 * stops it gracefully. The first lines on stdout say where it listens and the certificate
 * thumbprint a vCenter registration pins; logs go to stderr as JSON lines.
 */
import type { Command } from 'commander';
import { CONFIG_ENV_VARS, loadConfig } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { startProductionServer, type LifelineServer } from '../server/index.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Lifeline server (HTTPS API and plugin UI) until SIGTERM or SIGINT')
    .option('--config <file>', 'configuration file (default: <data dir>/lifeline.json, if present)')
    .option('--data-dir <dir>', 'data directory (default: ./.lifeline-data)')
    .addHelpText(
      'after',
      '\nEnvironment variables (they override the configuration file; flags override both):\n' +
        Object.entries(CONFIG_ENV_VARS)
          .map(([name, what]) => `  ${name.padEnd(36)} ${what}`)
          .join('\n'),
    )
    .action(async (opts: { config?: string; dataDir?: string }) => {
      const config = await loadConfig({ flags: { config: opts.config, dataDir: opts.dataDir } });
      const log = createLogger({ level: config.logLevel });
      // Everything the server runs with is built in server/; the command only reports and waits.
      const server = await startProductionServer(config, log);
      process.stdout.write(
        `Lifeline ${server.version} listening on ${server.url}\n` +
          `Certificate SHA-256 thumbprint: ${server.thumbprint}\n` +
          (server.uiUrl ? `Plugin UI: ${server.uiUrl}\n` : '') +
          (server.pluginUrl ? `Plugin manifest (lifeline register --plugin-url): ${server.pluginUrl}\n` : ''),
      );
      await untilStopSignal(server, (msg) => log.info(msg));
    });
}

/**
 * Waits for SIGTERM or SIGINT, then stops the server. A second signal while stopping ends the
 * process at once, for an operator who will not wait for the drain.
 */
export async function untilStopSignal(server: LifelineServer, note: (msg: string) => void): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  note(`${signal} received: stopping (send it again to exit at once)`);
  const force = (again: NodeJS.Signals) => {
    process.stderr.write(`lifeline: ${again} again, exiting without waiting\n`);
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  try {
    await server.stop();
  } finally {
    process.off('SIGTERM', force);
    process.off('SIGINT', force);
  }
}
