import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { serveNode } from '../src/cli/serve.js';

export default class Serve extends CairnCommand {
  static override summary = 'Run a storage node.';
  static override description =
    'Runs a cairn node: the client API on --listen, the peer API (Raft and chunk transfer) on --peer-listen, data under --data-dir. A new node belongs to no cluster until `cairn bootstrap` or `cairn join`; a restarted node rejoins its cluster with all its data. SIGTERM or Ctrl-C shuts it down cleanly. Logs are JSON lines on stderr.';
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
      version: this.config.version,
    });
  }
}
