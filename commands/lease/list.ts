import type { LeaseList } from '../../src/api/index.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { CoordinationClient } from '../../src/client/index.js';

export default class LeaseListCommand extends CairnCommand {
  static override summary = 'List leases with their TTL and time left (by the leader).';
  static override examples = [
    { description: 'All leases', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<LeaseList> {
    const { flags } = await this.parse(LeaseListCommand);
    const client = this.makeClient(flags);
    try {
      const list = await new CoordinationClient(client).listLeases();
      this.printTable(
        ['ID', 'TTL MS', 'REMAINING MS'],
        list.items.map((lease) => [
          String(lease.id),
          String(lease.ttlMilliseconds),
          String(lease.remainingMilliseconds),
        ]),
      );
      return list;
    } finally {
      await client.close();
    }
  }
}
