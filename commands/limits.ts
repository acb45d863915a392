import { CairnCommand } from '../src/cli/base-command.js';
import { limitEntries, type LimitEntry } from '../src/cli/limits-report.js';

export default class Limits extends CairnCommand {
  static override summary = 'Show every limit this build of cairn enforces.';
  static override description =
    'Every bound of cairn (key length, inline object size, chunk size, Raft entry and batch sizes, list page size, ...) with its unit. A request beyond a limit fails with CAIRN_ERR_LIMIT_EXCEEDED naming the limit.';
  static override examples = [
    { description: 'Show the limits as a table', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Read one limit from a script',
      command:
        '<%= config.bin %> <%= command.id %> --json | jq \'.[] | select(.name == "keyLengthBytesMax") | .value\'',
    },
  ];

  async run(): Promise<LimitEntry[]> {
    await this.parse(Limits);
    const entries = limitEntries();
    this.printTable(
      ['limit', 'value', 'unit'],
      entries.map((entry) => [entry.name, entry.display, entry.unit]),
    );
    return entries;
  }
}
