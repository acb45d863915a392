import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { durationFlag, endpointsFlag } from '../src/cli/flags.js';
import { bootstrapCluster, type BootstrapResult } from '../src/client/lifecycle.js';

export default class Bootstrap extends CairnCommand {
  static override summary = 'Form a new cluster from running nodes.';
  static override description =
    'Every node named by --endpoints must be running `cairn serve` and belong to no cluster yet (refused otherwise). They become the founding voters; the command returns once a leader is elected and the cluster is recorded.';
  static override examples = [
    {
      description: 'Form a 3-node cluster',
      command:
        '<%= config.bin %> <%= command.id %> --endpoints 127.0.0.1:7070,127.0.0.2:7070,127.0.0.3:7070',
    },
    {
      description: 'Keep two copies of every chunk',
      command:
        '<%= config.bin %> <%= command.id %> --endpoints $CAIRN_ENDPOINTS --replication-factor 2 --json',
    },
  ];
  static override flags = {
    endpoints: endpointsFlag,
    'replication-factor': Flags.integer({
      description: 'copies of every chunk (default: 3, or the number of nodes if fewer)',
      min: 1,
      max: 7,
    }),
    timeout: durationFlag({
      description: 'how long to wait for a leader',
      fallback: '30s',
      minimumMilliseconds: 1000,
      maximumMilliseconds: 600_000,
    }),
  };

  async run(): Promise<BootstrapResult> {
    const { flags } = await this.parse(Bootstrap);
    const result = await bootstrapCluster(
      flags.endpoints,
      flags['replication-factor'],
      flags.timeout,
    );
    if (!this.jsonEnabled()) {
      this.log(
        `cluster ${result.clusterId} formed: ${result.members.length} nodes, replication factor ${result.replicationFactor}, leader ${result.leaderId}`,
      );
      this.printTable(
        ['node', 'client address', 'peer address', 'zone'],
        result.members.map((member) => [
          member.id,
          member.clientAddress,
          member.peerAddress,
          member.zone,
        ]),
      );
    }
    return result;
  }
}
