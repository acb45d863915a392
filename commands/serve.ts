import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { serveNode } from '../src/cli/serve.js';

export default class Serve extends CairnCommand {
  static override summary = 'Run a storage node.';
  static override description =
    'Runs a cairn node: the client API on --listen, the peer API (Raft and chunk transfer) on --peer-listen, data under --data-dir. A new node belongs to no cluster until `cairn bootstrap` or `cairn join`; a restarted node rejoins its cluster with all its data. SIGTERM or Ctrl-C shuts it down cleanly. Logs are JSON lines on stderr.\n\nTLS: --tls-dir names a directory holding ca.crt, node-NAME.crt and node-NAME.key (NAME is --name), as `cairn cert create-ca` and `cairn cert create-node NAME HOST...` write them. Both ports then speak TLS 1.3 only; the peer port requires mutual TLS with the node certificate of a current member (client certificates are refused there). The files are re-read on SIGHUP and when they change, without dropping open connections. Without TLS a node listens on loopback only, unless --insecure is given.\n\nEncryption at rest: with --encryption-key-file (a file made by `cairn encryption create-key`), chunk files, state store values (inline object contents included), WAL entry payloads and snapshot files are sealed with AES-256-GCM; object keys and other metadata stay plain. The choice is made when the data directory is created: a node refuses to start with a key on a plain data directory, without a key on an encrypted one, or with a wrong key (a key check record, ENCRYPTION, is kept in the data directory). The newest key of the file seals, every key opens: add a key with `cairn encryption add-key` and restart to rotate; never remove a key that sealed data.';
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
      description: 'Run a node that encrypts its data at rest',
      command:
        '<%= config.bin %> encryption create-key /etc/cairn/n1.keys && <%= config.bin %> <%= command.id %> --name n1 --data-dir /var/lib/cairn/n1 --encryption-key-file /etc/cairn/n1.keys',
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
    'encryption-key-file': Flags.string({
      description:
        'encrypt data at rest with the keys in this file (cairn encryption create-key); the data directory must be new or already encrypted with them',
      env: 'CAIRN_ENCRYPTION_KEY_FILE',
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
      encryptionKeyFile: flags['encryption-key-file'],
      ...(flags['tls-dir'] === undefined ? {} : { tlsDirectory: flags['tls-dir'] }),
      insecure: flags.insecure,
      version: this.config.version,
    });
  }
}
