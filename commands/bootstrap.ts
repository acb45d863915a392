import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { durationFlag, endpointsFlag, tlsFlags } from '../src/cli/flags.js';
import { changeSettings } from '../src/cli/cluster-settings.js';
import { parseEndpoints } from '../src/client/endpoints.js';
import { bootstrapCluster, type BootstrapResult } from '../src/client/lifecycle.js';
import { InvalidArgumentError } from '../src/util/errors.js';
import { limits } from '../src/util/limits.js';
import { majorityOf, writeQuorumProblem } from '../src/meta/index.js';

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
    ...tlsFlags,
    'replication-factor': Flags.integer({
      description: 'copies of every chunk (default: 3, or the number of nodes if fewer)',
      min: 1,
      max: 7,
    }),
    'write-quorum': Flags.integer({
      description:
        'copies of a chunk durable before a put is acknowledged (default: a majority of R, 2 of 3)',
      min: 1,
      max: 7,
    }),
    'allow-write-quorum-one': Flags.boolean({
      description: 'accept --write-quorum 1 with R of 2 or more (a put acknowledged on one disk)',
    }),
    timeout: durationFlag({
      description: 'how long to wait for a leader',
      fallback: '30s',
      minimumMilliseconds: 1000,
      maximumMilliseconds: 600_000,
    }),
  };

  async run(): Promise<BootstrapResult & { writeQuorum: number }> {
    const { flags } = await this.parse(Bootstrap);
    const writeQuorum = flags['write-quorum'];
    // Checked before any node is touched; the meta group checks again when it applies.
    const factor =
      flags['replication-factor'] ??
      Math.min(limits.replicationFactorDefault, parseEndpoints(flags.endpoints).length);
    const problem =
      writeQuorum === undefined
        ? undefined
        : writeQuorumProblem(writeQuorum, factor, flags['allow-write-quorum-one']);
    if (problem !== undefined) throw new InvalidArgumentError(`--write-quorum: ${problem}`);
    const formed = await bootstrapCluster(
      flags.endpoints,
      flags['replication-factor'],
      flags.timeout,
    );
    const result = { ...formed, writeQuorum: writeQuorum ?? majorityOf(formed.replicationFactor) };
    if (writeQuorum !== undefined) {
      const client = this.makeClient(flags);
      try {
        await changeSettings(client, {
          writeQuorum,
          ...(flags['allow-write-quorum-one'] ? { allowWriteQuorumOne: true } : {}),
        });
      } finally {
        await client.close();
      }
    }
    if (!this.jsonEnabled()) {
      this.log(
        `cluster ${result.clusterId} formed: ${result.members.length} nodes, replication factor ${result.replicationFactor}, write quorum ${result.writeQuorum}, leader ${result.leaderId}`,
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
