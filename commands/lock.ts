import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, durationFlag } from '../src/cli/flags.js';
import { type LockEvent, runLock } from '../src/cli/lock-runner.js';
import { CoordinationClient } from '../src/client/index.js';
import { limits } from '../src/util/limits.js';

export default class Lock extends CairnCommand {
  static override summary = 'Hold a lock while a command runs (or until interrupted).';
  static override description =
    `Takes a lease, waits in line for the lock, then runs COMMAND without a shell in its own process group with CAIRN_LOCK_NAME, CAIRN_LOCK_TOKEN and CAIRN_FENCE in its environment (cairn put and rm run by it send the fence by themselves, so a write from a holder that lost the lock is refused). The lease is kept alive while the command runs. When keepalives fail, the command's process group gets SIGTERM, then SIGKILL, before the server could grant the lock to anyone else. Exit codes: the command's own; 75 when the lock was not acquired within --timeout; 76 when it was lost (the reason is also written to stderr and, with --json, to stdout). Without a command, prints the token and holds the lock until SIGINT or SIGTERM.`;
  static override examples = [
    {
      description: 'One deploy at a time',
      command: '<%= config.bin %> <%= command.id %> deploy -- ./deploy.sh production',
    },
    {
      description: 'Readers together, writers alone',
      command: '<%= config.bin %> <%= command.id %> schema --shared -- ./read-report.sh',
    },
    {
      description: 'At most 4 builds at once, give up after a minute',
      command:
        '<%= config.bin %> <%= command.id %> builders --semaphore 4 --timeout 1m -- make all',
    },
    {
      description: 'Hold a lock from a shell script until killed',
      command: '<%= config.bin %> <%= command.id %> maintenance --ttl 30s',
    },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'lock name (A-Z a-z 0-9 . _ : / -)', required: true }),
  };
  static override flags = {
    ...clientFlags,
    shared: Flags.boolean({
      description: 'hold it shared: with other shared holders, never with an exclusive one',
      exclusive: ['semaphore'],
    }),
    semaphore: Flags.integer({
      description: 'a semaphore: up to N holders at once',
      min: 1,
      max: limits.lockHoldersMax,
      exclusive: ['shared'],
    }),
    ttl: durationFlag({
      description: 'lease TTL: how long the lock outlives this process if it dies',
      minimumMilliseconds: limits.leaseTtlMillisecondsMin,
      maximumMilliseconds: limits.leaseTtlMillisecondsMax,
      fallback: '10s',
    }),
    timeout: durationFlag({
      description: 'give up (exit 75) when not acquired within this',
      minimumMilliseconds: 0,
      maximumMilliseconds: 7 * 24 * 3_600_000,
      fallback: '30s',
    }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Lock);
    const command = (argv as string[]).slice(1);
    const client = this.makeClient(flags);
    const json = this.jsonEnabled();
    let exitCode: number;
    try {
      exitCode = await runLock(new CoordinationClient(client), {
        name: args.name,
        mode: flags.shared ? 'shared' : flags.semaphore !== undefined ? 'semaphore' : 'exclusive',
        ...(flags.semaphore === undefined ? {} : { semaphoreLimit: flags.semaphore }),
        ttlMilliseconds: flags.ttl,
        timeoutMilliseconds: flags.timeout,
        command,
        report: (event) => this.report(event, json, command.length === 0),
      });
    } finally {
      await client.close();
    }
    this.exit(exitCode);
  }

  private report(event: LockEvent, json: boolean, holding: boolean): void {
    if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    switch (event.event) {
      case 'acquired':
        if (!json && holding)
          process.stdout.write(`${event.name} token ${event.token} fence ${event.fence}\n`);
        return;
      case 'not-acquired':
        process.stderr.write(`cairn lock: ${event.reason} (exit 75)\n`);
        return;
      case 'lost':
        process.stderr.write(
          `cairn lock: lock ${event.name} (token ${event.token}) lost: ${event.reason}; the command's process group was stopped (exit 76)\n`,
        );
        return;
      case 'released':
        return;
    }
  }
}
