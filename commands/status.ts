import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags } from '../src/cli/flags.js';
import { formatBytes, paint } from '../src/cli/output.js';
import { clusterStatus, type ClusterStatus } from '../src/client/lifecycle.js';
import { statusHeadline } from '../src/cli/cluster-settings.js';

export default class Status extends CairnCommand {
  static override summary = 'Show every member: role, term, indexes, disk and health.';
  static override description =
    "Asks one node for the cluster status; it gathers each member's own report (members that do not answer are shown as unreachable).";
  static override examples = [
    {
      description: 'A table of the members',
      command: '<%= config.bin %> <%= command.id %> --endpoints 127.0.0.1:7070',
    },
    {
      description: 'The leader, for a script',
      command: '<%= config.bin %> <%= command.id %> --json | jq -r .leaderId',
    },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<ClusterStatus> {
    const { flags } = await this.parse(Status);
    const client = this.makeClient(flags);
    try {
      const status = await clusterStatus(client);
      const colour = paint();
      if (!this.jsonEnabled()) this.log(statusHeadline(status));
      this.printTable(
        [
          'node',
          'address',
          'zone',
          'role',
          'term',
          'commit',
          'applied',
          'disk used',
          'chunks',
          'health',
        ],
        status.members.map((member) => [
          member.id,
          member.clientAddress,
          member.zone,
          status.settings?.downMembers.some((down) => down.id === member.id)
            ? colour.red(member.role === 'unreachable' ? 'down' : `down/${member.role}`)
            : member.role === 'unreachable'
              ? colour.red('unreachable')
              : `${member.membership}/${member.role}`,
          String(member.term),
          String(member.commitIndex),
          String(member.appliedIndex),
          formatBytes(member.diskUsedBytes),
          String(member.chunks),
          member.health === 'ok'
            ? colour.green('ok')
            : member.role === 'unreachable'
              ? colour.red('no answer')
              : colour.yellow(member.health),
        ]),
      );
      const answering = status.members.find((member) => member.history !== undefined);
      const history = answering?.history;
      if (!this.jsonEnabled() && history !== undefined)
        this.log(
          `history: revisions ${history.oldestRevision}..${history.revision} retained (${history.retainedEvents} events, ${formatBytes(history.retainedBytes)}), as ${answering?.id ?? ''} holds it`,
        );
      return status;
    } finally {
      await client.close();
    }
  }
}
