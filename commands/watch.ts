import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags } from '../src/cli/flags.js';
import { runWatch, type WatchRunReport } from '../src/cli/watch.js';
import { UsageError } from '../src/util/errors.js';

export default class Watch extends CairnCommand {
  static override summary = 'Print every change under a prefix as it commits.';
  static override description =
    'Streams puts and deletes under PREFIX in revision order, whole revisions, from the next revision (or --from-revision; 1 = the oldest retained). Resumes by itself after a lost connection from the last revision it printed, so no change is missed or repeated. A line per event: revision, type, size, SHA-256 (first 12 digits), key; --json prints one JSON object per event (--values adds the bytes of an inline object, value and valueText, while that version is current). After --, runs COMMAND once per event with CAIRN_WATCH_REVISION, CAIRN_WATCH_TYPE and CAIRN_WATCH_KEY set. A start below the retained history fails with COMPACTED.';
  static override examples = [
    {
      description: 'Changes under config/',
      command: '<%= config.bin %> <%= command.id %> config/',
    },
    {
      description: 'Everything retained, then live, as JSON lines',
      command: '<%= config.bin %> <%= command.id %> "" --from-revision 1 --json',
    },
    {
      description: 'Config values as they change, as JSON lines with valueText',
      command: '<%= config.bin %> <%= command.id %> config/ --json --values',
    },
    {
      description: 'Run a script per change',
      command: '<%= config.bin %> <%= command.id %> config/ -- ./reload.sh',
    },
  ];
  static override enableJsonFlag = false; // --json prints lines as they come
  static override strict = false; // COMMAND ARGS... after --
  static override usage =
    '<%= command.id %> PREFIX [--from-revision <value>] [--json] [-- COMMAND ARGS...]';
  static override args = {
    prefix: Args.string({ description: 'key prefix ("" for every key)', required: true }),
  };
  static override flags = {
    ...clientFlags,
    'from-revision': Flags.integer({
      min: 1,
      description: 'start at this revision (1 = the oldest retained); default: the next one',
    }),
    json: Flags.boolean({ description: 'print one JSON object per event' }),
    values: Flags.boolean({
      description:
        'put events of inline objects carry value (base64) and valueText, while still current; with --json',
      dependsOn: ['json'],
    }),
    'max-events': Flags.integer({
      min: 1,
      description: 'stop after the revision that holds this many events',
    }),
  };

  async run(): Promise<WatchRunReport> {
    const { args, argv, flags } = await this.parse(Watch);
    const command = (argv as string[]).slice(1);
    const dashes = this.argv.indexOf('--');
    if (command.length > 0 && (dashes < 0 || command[0]?.startsWith('-') === true))
      throw new UsageError(`unexpected ${command[0]}: put the command after --`);
    const client = this.makeClient(flags);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      return await runWatch(client, {
        prefix: args.prefix,
        ...(flags['from-revision'] === undefined ? {} : { fromRevision: flags['from-revision'] }),
        json: flags.json,
        values: flags.values,
        command,
        ...(flags['max-events'] === undefined ? {} : { maxEvents: flags['max-events'] }),
        signal: abort.signal,
        write: (line) => process.stdout.write(`${line}\n`),
        warn: (line) => process.stderr.write(`${line}\n`),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await client.close();
    }
  }
}
