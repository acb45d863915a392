import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { startDevCluster } from '../src/cli/dev-cluster.js';

export default class Dev extends CairnCommand {
  static override summary = 'Run a local cluster of N nodes for development.';
  static override description =
    'Starts N `cairn serve` processes on 127.0.0.1 (data and logs under --dir), bootstraps them on the first start, prints the endpoints and a CAIRN_ENDPOINTS line, and runs until Ctrl-C, which stops every node cleanly. The next start reuses the data. With --secure the cluster runs with TLS on both ports: a CA, a certificate per node and the client certificate of user root are made under --dir/certs (reused later), and authentication is on: the bearer token of root is written to --dir/certs/root.token (mode 0600, never printed); the lines to export CAIRN_CACERT, CAIRN_CERT, CAIRN_KEY and CAIRN_TOKEN_FILE are printed.';
  static override enableJsonFlag = false;
  static override examples = [
    {
      description: 'A 3-node cluster in .cairn-dev',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: '5 nodes from port 9000',
      command: '<%= config.bin %> <%= command.id %> --nodes 5 --base-port 9000 --dir /tmp/cairn5',
    },
    {
      description: 'A 3-node cluster with TLS on',
      command: '<%= config.bin %> <%= command.id %> --secure --dir /tmp/cairn-secure',
    },
  ];
  static override flags = {
    nodes: Flags.integer({ description: 'number of nodes', default: 3, min: 1, max: 9 }),
    dir: Flags.string({
      description: "directory for the nodes' data and logs",
      default: '.cairn-dev',
    }),
    'base-port': Flags.integer({
      description: 'client port of n1; node i uses base+2(i-1) (client) and base+2(i-1)+1 (peer)',
      default: 7070,
      min: 1024,
      max: 65_000,
    }),
    secure: Flags.boolean({
      description: 'TLS on both ports, with certificates made under --dir/certs',
    }),
    'replication-factor': Flags.integer({
      description: 'copies of every chunk at bootstrap',
      min: 1,
      max: 7,
    }),
    'encryption-key-file': Flags.string({
      description:
        'start every node with this key file (cairn encryption create-key): data at rest is encrypted',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev);
    const cluster = await startDevCluster({
      nodes: flags.nodes,
      directory: flags.dir,
      host: '127.0.0.1',
      basePort: flags['base-port'],
      ...(flags['replication-factor'] === undefined
        ? {}
        : { replicationFactor: flags['replication-factor'] }),
      encryptionKeyFile: flags['encryption-key-file'],
      secure: flags.secure,
      log: (line) => this.log(line),
    });
    for (const node of cluster.nodes)
      this.log(
        `${node.name}  ${node.clientAddress}  (pid ${node.process.pid ?? '?'}, log ${node.logFile})`,
      );
    this.log(`export CAIRN_ENDPOINTS=${cluster.endpoints}`);
    if (cluster.clientTls !== undefined) {
      this.log(`export CAIRN_CACERT=${cluster.clientTls.ca}`);
      this.log(`export CAIRN_CERT=${cluster.clientTls.certificate}`);
      this.log(`export CAIRN_KEY=${cluster.clientTls.key}`);
      if (cluster.rootTokenFile !== undefined)
        this.log(`export CAIRN_TOKEN_FILE=${cluster.rootTokenFile}`);
    }
    this.log('Ctrl-C stops the cluster.');
    for (const node of cluster.nodes) {
      node.process.once('exit', (code, signal) =>
        this.log(`${node.name} exited (${signal ?? `code ${code ?? '?'}`})`),
      );
    }
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        this.log('stopping...');
        void cluster.stop().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    this.log('stopped');
  }
}
