import { Flags, type Interfaces } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { durationFlag, endpointsFlag, tlsFlags, tokenFlags } from '../src/cli/flags.js';
import { changeSettings } from '../src/cli/cluster-settings.js';
import { parseEndpoints } from '../src/client/endpoints.js';
import { bootstrapCluster, type BootstrapResult } from '../src/client/lifecycle.js';
import type { AuthTokenCreated } from '../src/api/index.js';
import { openSecretFile, type SecretFile } from '../src/cli/secret-file.js';
import { AuthClient } from '../src/client/index.js';
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
      description: 'Form a cluster with authentication on; the root token goes to a 0600 file',
      command:
        '<%= config.bin %> <%= command.id %> --endpoints $CAIRN_ENDPOINTS --auth --root-token-file root.token',
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
    ...tokenFlags,
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
    auth: Flags.boolean({
      description:
        'turn authentication on: create user and role root (admin on every key) and print its token once',
    }),
    'root-token-file': Flags.string({
      description:
        'with --auth: write the root token to this new file (mode 0600) instead of printing it',
      dependsOn: ['auth'],
    }),
    timeout: durationFlag({
      description: 'how long to wait for a leader',
      fallback: '30s',
      minimumMilliseconds: 1000,
      maximumMilliseconds: 600_000,
    }),
  };

  async run(): Promise<BootstrapResult & { writeQuorum: number; rootToken?: AuthTokenCreated }> {
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
    // Created before the cluster forms: a token shown once is never lost to a bad path.
    const tokenPath = flags['root-token-file'];
    const tokenFile = tokenPath === undefined ? undefined : openSecretFile(tokenPath);
    try {
      return await this.form(flags, writeQuorum, tokenFile);
    } finally {
      tokenFile?.abandon();
    }
  }

  private async form(
    flags: Interfaces.InferredFlags<typeof Bootstrap.flags>,
    writeQuorum: number | undefined,
    tokenFile: SecretFile | undefined,
  ): Promise<BootstrapResult & { writeQuorum: number; rootToken?: AuthTokenCreated }> {
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
    const rootToken = flags.auth ? await this.enableAuth(flags, tokenFile) : undefined;
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
    if (rootToken !== undefined && flags['root-token-file'] === undefined)
      this.log(`authentication on; the root token (shown once, keep it safe):\n${rootToken.token}`);
    return rootToken === undefined ? result : { ...result, rootToken };
  }

  /** Turns authentication on; the root token goes to --root-token-file when given. */
  private async enableAuth(
    flags: { endpoints?: string | undefined },
    file: SecretFile | undefined,
  ): Promise<AuthTokenCreated> {
    const client = this.makeClient(flags);
    try {
      const { rootToken } = await new AuthClient(client).enable();
      if (file === undefined) return rootToken;
      file.write(`${rootToken.token}\n`);
      this.log(`authentication on; the root token is in ${file.path} (mode 0600)`);
      return { ...rootToken, token: `(written to ${file.path})` };
    } finally {
      await client.close();
    }
  }
}
