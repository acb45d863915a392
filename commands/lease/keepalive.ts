import { Args } from '@oclif/core';
import type { LeaseView } from '../../src/api/index.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { CoordinationClient } from '../../src/client/index.js';

export default class LeaseKeepalive extends CairnCommand {
  static override summary = 'Renew a lease once: its full TTL again from now.';
  static override description =
    'Answers once the renewal is committed, so no later leader can forget it. An expired or revoked lease fails with CAIRN_ERR_NOT_FOUND.';
  static override examples = [
    { description: 'Renew lease 42', command: '<%= config.bin %> <%= command.id %> 42' },
  ];
  static override args = { id: Args.integer({ description: 'lease id', required: true, min: 1 }) };
  static override flags = { ...clientFlags };

  async run(): Promise<LeaseView> {
    const { args, flags } = await this.parse(LeaseKeepalive);
    const client = this.makeClient(flags);
    try {
      const lease = await new CoordinationClient(client).keepaliveLease(args.id);
      this.log(`lease ${lease.id} renewed, ${lease.remainingMilliseconds} ms left`);
      return lease;
    } finally {
      await client.close();
    }
  }
}
