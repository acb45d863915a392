import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { serveNode } from '../src/cli/serve.js';

export default class Serve extends CairnCommand {
  static override summary = 'Run a storage node.';
  static override description =
    'Runs a cairn node: the client API on --listen, the peer API (Raft and chunk transfer) on --peer-listen, data under --data-dir. A new node belongs to no cluster until `cairn bootstrap` or `cairn join`; a restarted node rejoins its cluster with all its data. SIGTERM or Ctrl-C shuts it down cleanly. Logs are JSON lines on stderr.\n\nTLS: --tls-dir names a directory holding ca.crt, node-NAME.crt and node-NAME.key (NAME is --name), as `cairn cert create-ca` and `cairn cert create-node NAME HOST...` write them. Both ports then speak TLS 1.3 only; the peer port requires mutual TLS with the node certificate of a current member (client certificates are refused there). The files are re-read on SIGHUP and when they change, without dropping open connections. Without TLS a node listens on loopback only, unless --insecure is given.';
  static override enableJsonFlag = false;
  static override examples = [
    {
      description: 'Run a node on the default ports',
      command: '<%= config.bin %> <%= command.id %> --name n1 --data-dir /var/lib/cairn/n1',
    },
    {
      description: 'Run a node in zone "rack-a" with twice the default weight',
      command:
        '<%= config.bin %> <%= command.id %> --name n2 --data-dir ./n2 --listen 127.0.0.2:7070 --peer-listen 127.0.0.2:7071 --zone rack-a --weight 2',
    },
    {
      description: 'A TLS node: make a CA and the node certificate once, then serve with them',
      command:
        '<%= config.bin %> cert create-ca && <%= config.bin %> cert create-node n1 10.0.0.1 && <%= config.bin %> <%= command.id %> --name n1 --data-dir ./n1 --listen 10.0.0.1:7070 --peer-listen 10.0.0.1:7071 --tls-dir ./cairn-certs',
    },
    {
      description: 'Reload renewed certificates without a restart',
      command:
        '<%= config.bin %> cert create-node n1 10.0.0.1 --force && kill -HUP "$(pidof cairn)"',
    },
  ];
  static override flags = {
    name: Flags.string({ description: 'unique name of this node in the cluster', required: true }),
    'data-dir': Flags.string({
      description: 'directory holding the WAL, state store and chunks',
      required: true,
    }),
    listen: Flags.string({ description: 'HOST:PORT of the client API', default: '127.0.0.1:7070' }),
    'peer-listen': Flags.string({
      description: 'HOST:PORT of the peer API',
      default: '127.0.0.1:7071',
    }),
    zone: Flags.string({
      description: 'failure domain (rack, room); replicas spread across zones',
      default: 'default',
    }),
    weight: Flags.integer({
      description: 'share of data relative to other nodes (1 = default)',
      default: 1,
      min: 1,
      max: 16,
    }),
    'tls-dir': Flags.directory({
      description: 'TLS on: directory of ca.crt, node-NAME.crt and node-NAME.key (cairn cert)',
      env: 'CAIRN_TLS_DIR',
      exists: true,
    }),
    insecure: Flags.boolean({
      description:
        'serve plain HTTP on an address outside loopback (anyone reaching it has full access)',
    }),
    'snapshot-entries': Flags.integer({
      description:
        'applied entries between snapshots of the metadata (the log behind a snapshot is compacted)',
      default: 10_000,
      min: 100,
      max: 10_000_000,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    await serveNode({
      name: flags.name,
      dataDirectory: flags['data-dir'],
      listen: flags.listen,
      peerListen: flags['peer-listen'],
      zone: flags.zone,
      weight: flags.weight,
      snapshotIntervalEntries: flags['snapshot-entries'],
      ...(flags['tls-dir'] === undefined ? {} : { tlsDirectory: flags['tls-dir'] }),
      insecure: flags.insecure,
      version: this.config.version,
    });
  }
}
