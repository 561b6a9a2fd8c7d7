/**
 * `lifeline site allow-pairing | pair | list | unpair`: site pairing from the command line, for an
 * administrator on the Lifeline server's own machine. The commands act on the server's data
 * directory (--data-dir / --config, as `lifeline serve` finds it): its database, where the
 * pairings live, and its certificate, the site's identity; they run beside a running server
 * (the database is shared safely) or while it is stopped. They need no vCenter session: whoever
 * can read the data directory holds the server's key and database already, which is more than
 * pairing grants. The API (`/api/v1/sites`) does the same for a vSphere user with Lifeline Admin.
 *
 * The pairing code is a secret for 15 minutes: `pair` reads it from a file or from
 * LIFELINE_PAIRING_CODE, never from the command line, where other users could read it in the
 * process list.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import { createLogger } from '../log/index.js';
import type { PeerRecord, SiteService } from '../sites/index.js';
import { withSiteService } from '../server/index.js';

export const PAIRING_CODE_ENV = 'LIFELINE_PAIRING_CODE';

interface DirFlags {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

async function withSites<T>(flags: DirFlags, fn: (sites: SiteService, config: Config) => Promise<T>): Promise<T> {
  const config = await loadConfig({ flags: { config: flags.config, dataDir: flags.dataDir } });
  const log = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
  return withSiteService(config, log, (sites) => fn(sites, config));
}

const write = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

function peerLine(p: PeerRecord): string {
  const role = p.unpairedByPeerAt ? `source, unpaired by it at ${p.unpairedByPeerAt} (its replicas stay here)` : p.role === 'target' ? 'DR site (this site replicates to it)' : 'source (it replicates to this site)';
  return `${p.name}  ${role}  ${p.url}  ${p.thumbprint}  id ${p.id}`;
}

async function readCode(codeFile: string | undefined): Promise<string> {
  if (codeFile !== undefined) {
    try {
      return (await readFile(codeFile, 'utf8')).trim();
    } catch (err) {
      throw new ValidationError(`cannot read the pairing code file ${codeFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const fromEnv = process.env[PAIRING_CODE_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  throw new ValidationError(`give the pairing code with --code-file <file> or the ${PAIRING_CODE_ENV} environment variable`);
}

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description("pair this Lifeline server with other sites (acts on the server's data directory)");
  const common = (cmd: Command) =>
    cmd
      .option('--config <file>', 'configuration file (default: <data dir>/lifeline.json, if present)')
      .option('--data-dir <dir>', 'data directory (default: ./.lifeline-data)')
      .option('--json', 'print JSON');

  common(site.command('allow-pairing').description('on the DR site: make a one-time pairing code (valid 15 minutes) to type at the production site')).action(
    async (flags: DirFlags) => {
      await withSites(flags, async (sites) => {
        const code = sites.issueCode();
        if (flags.json) write(JSON.stringify(code));
        else {
          write(`Pairing code:  ${code.code}\nValid until:   ${code.expiresAt} (one attempt)\nThis site:     ${code.siteUrl}\nThumbprint:    ${code.thumbprint}`);
          write('At the production site, pair with this address, confirm this thumbprint and give the code.');
        }
      });
    },
  );

  common(site.command('pair').description('on the production site: pair with a DR site, which becomes the target of replication'))
    .requiredOption('--url <url>', "the DR site's address, https://host:port of its site listener")
    .requiredOption('--thumbprint <sha256>', 'the thumbprint the DR site shows with its code')
    .option('--code-file <file>', `file holding the pairing code (or set ${PAIRING_CODE_ENV})`)
    .option('--settings <json>', 'replication settings as JSON, e.g. {"bandwidthMBps":50,"immutableDays":14}')
    .action(async (flags: DirFlags & { url: string; thumbprint: string; codeFile?: string; settings?: string }) => {
      let settings: unknown = {};
      if (flags.settings !== undefined) {
        try {
          settings = JSON.parse(flags.settings);
        } catch {
          throw new ValidationError('--settings must be a JSON object');
        }
      }
      const code = await readCode(flags.codeFile);
      await withSites(flags, async (sites) => {
        const peer = await sites.pair({ url: flags.url, thumbprint: flags.thumbprint, code, settings });
        write(flags.json ? JSON.stringify(peer) : `Paired with ${peerLine(peer)}`);
      });
    });

  common(site.command('list').description('the sites this server is paired with')).action(async (flags: DirFlags) => {
    await withSites(flags, async (sites) => {
      const self = sites.self();
      const peers = sites.directory.peers();
      if (flags.json) write(JSON.stringify({ self, peers }));
      else {
        write(`This site: ${self.name}  ${self.siteUrl}  ${self.thumbprint}`);
        write(peers.length === 0 ? 'Paired with no site.' : peers.map(peerLine).join('\n'));
      }
    });
  });

  common(site.command('unpair').description('unpair a site (by name or id) here and tell it').argument('<site>', 'the name or id of the paired site')).action(
    async (name: string, flags: DirFlags) => {
      await withSites(flags, async (sites) => {
        const { peer, peerTold } = await sites.unpair(name);
        write(
          flags.json
            ? JSON.stringify({ unpaired: peer.id, name: peer.name, peerTold })
            : `Unpaired ${peer.name}.${peerTold ? ' It was told and refuses this site from now on.' : ' It could not be told; it is refused from now on all the same.'}`,
        );
      });
    },
  );
}
