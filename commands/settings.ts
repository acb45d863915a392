import { Args, Flags } from '@oclif/core';
import type { ClusterSettingsView } from '../src/api/index.js';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  changeSettings,
  parseAssignments,
  readSettings,
  settingNames,
  settingsRows,
} from '../src/cli/cluster-settings.js';
import { clientFlags } from '../src/cli/flags.js';
import { InvalidArgumentError } from '../src/util/errors.js';

export default class Settings extends CairnCommand {
  static override summary = "Show or change the cluster's settings.";
  static override description =
    `Without arguments, shows the settings every member acts on: the write quorum W (copies of a chunk durable before a put is acknowledged; a majority of R unless set), down-after (a member unreachable this long is marked down and its chunks re-replicated), and the repair and rebalance rates (0 = unlimited), plus the members marked down. \`set name=value ...\` changes them through the meta group (the leader proposes; every member sees the same values). The settings are ${settingNames.join(', ')}. W is never above R, and never 1 while R is 2 or more unless --allow-write-quorum-one says so.`;
  static override examples = [
    { description: 'The current settings', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Acknowledge puts at 2 copies, mark members down after 30 s',
      command: '<%= config.bin %> <%= command.id %> set write-quorum=2 down-after=30s',
    },
    {
      description: 'Repair at most 50 MiB/s, for a script',
      command: '<%= config.bin %> <%= command.id %> set repair-rate=50MiB --json',
    },
  ];
  static override strict = false;
  static override args = {
    action: Args.string({
      description: 'set: change the settings named after it',
      options: ['set'],
    }),
  };
  static override flags = {
    ...clientFlags,
    'allow-write-quorum-one': Flags.boolean({
      description: 'accept write-quorum=1 while R is 2 or more (a put acknowledged on one disk)',
    }),
  };

  async run(): Promise<ClusterSettingsView> {
    const { args, argv, flags } = await this.parse(Settings);
    const assignments = (argv as string[]).slice(1);
    if (args.action === undefined && argv.length > 0)
      throw new InvalidArgumentError('use cairn settings set name=value ...');
    const client = this.makeClient(flags);
    try {
      const view =
        args.action === 'set'
          ? await changeSettings(
              client,
              parseAssignments(assignments, flags['allow-write-quorum-one']),
            )
          : await readSettings(client);
      this.printTable(['setting', 'value'], settingsRows(view));
      return view;
    } finally {
      await client.close();
    }
  }
}
