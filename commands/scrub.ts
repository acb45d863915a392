import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, rateBytesPerSecondMax, sizeFlag } from '../src/cli/flags.js';
import { formatBytes } from '../src/cli/output.js';
import { CairnClient, parseEndpoints } from '../src/client/index.js';
import { clusterStatus } from '../src/client/lifecycle.js';
import { scrubNode } from '../src/data/maintenance/index.js';

interface NodeScrub {
  readonly node: string;
  readonly chunksChecked: number;
  readonly bytesChecked: number;
  readonly corrupt: readonly string[];
  readonly missing: number;
  readonly refetched: number;
  readonly refetchFailures: readonly string[];
}

export default class Scrub extends CairnCommand {
  static override summary =
    'Re-hash every chunk on the nodes now; quarantine and re-fetch bad copies.';
  static override description =
    'Each node re-reads and re-hashes all its chunk files (nodes also do this in the background, hourly, at 16 MiB/s). A copy whose hash is wrong is moved to quarantine/; then each node fetches every copy it should hold but lacks (corrupt or deleted) from a good replica. Exit code 1 if a copy could not be restored.';
  static override examples = [
    { description: 'Scrub every node', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Scrub one node', command: '<%= config.bin %> <%= command.id %> --node n2' },
  ];
  static override flags = {
    ...clientFlags,
    node: Flags.string({ description: 'scrub only this member (by name)' }),
    rate: sizeFlag({
      description: 'bytes per second to re-hash per node, 0 = unlimited',
      perSecond: true,
      fallback: '0',
      minimumBytes: 0,
      maximumBytes: rateBytesPerSecondMax,
    }),
  };

  async run(): Promise<{ nodes: NodeScrub[] }> {
    const { flags } = await this.parse(Scrub);
    const client = this.makeClient(flags);
    let members: Awaited<ReturnType<typeof clusterStatus>>['members'];
    try {
      members = (await clusterStatus(client)).members.filter(
        (member) => flags.node === undefined || member.id === flags.node,
      );
    } finally {
      await client.close();
    }
    if (members.length === 0) this.error(`no member named ${flags.node ?? ''}`, { exit: 2 });
    const nodes = await Promise.all(
      members.map(async (member) => {
        const nodeClient = new CairnClient({
          ...(client.token === undefined ? {} : { token: client.token }),
          endpoints: parseEndpoints(member.clientAddress),
          retryAttemptsMax: 1,
          requestTimeoutMilliseconds: 60 * 60 * 1000,
        });
        try {
          return (await scrubNode(nodeClient, flags.rate)) as NodeScrub;
        } finally {
          await nodeClient.close();
        }
      }),
    );
    this.printTable(
      ['node', 'checked', 'bytes', 'corrupt', 'missing', 'refetched', 'failed'],
      nodes.map((node) => [
        node.node,
        String(node.chunksChecked),
        formatBytes(node.bytesChecked),
        String(node.corrupt.length),
        String(node.missing),
        String(node.refetched),
        String(node.refetchFailures.length),
      ]),
    );
    if (nodes.some((node) => node.refetchFailures.length > 0)) process.exitCode = 1;
    return { nodes };
  }
}
