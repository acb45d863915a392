import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  announceLeader,
  checkElectionValue,
  electionLockName,
  observeElection,
} from '../src/cli/election.js';
import { clientFlags, durationFlag } from '../src/cli/flags.js';
import { type LockEvent, runLock } from '../src/cli/lock-runner.js';
import { type CairnClient, CoordinationClient } from '../src/client/index.js';
import { UsageError } from '../src/util/errors.js';
import { limits } from '../src/util/limits.js';

const weekMilliseconds = 7 * 24 * 3_600_000;

export default class Elect extends CairnCommand {
  static override summary = 'Campaign for leadership (and run a command as leader), or observe.';
  static override description =
    `With --value: waits in line for leadership of NAME (the exclusive lock election/NAME), then writes VALUE as the leader's value (the object .cairn/elections/NAME, fenced with the grant's token and attached to the lease, so it vanishes when the leader resigns or its lease expires) and runs COMMAND like cairn lock does: without a shell, in its own process group, with CAIRN_LOCK_NAME, CAIRN_LOCK_TOKEN and CAIRN_FENCE in its environment, stopped (SIGTERM, then SIGKILL) before anyone else could be elected when keepalives fail. Exit codes as cairn lock: the command's own; 75 when not elected within --timeout; 76 when leadership was lost (the reason on stderr and in --json). Without a command it prints the leader line and leads until SIGINT or SIGTERM. With --observe: prints the current leader and then each new leader (and each vacancy) as a JSON line, until --timeout or SIGINT; a leader whose term ended before its value could be read back is skipped.`;
  static override examples = [
    {
      description: 'Run the scheduler on one machine at a time',
      command: '<%= config.bin %> <%= command.id %> scheduler --value "$(hostname)" -- ./scheduler',
    },
    {
      description: 'Lead until interrupted',
      command: '<%= config.bin %> <%= command.id %> scheduler --value host-a --ttl 5s',
    },
    {
      description: 'Print each new leader for a minute',
      command: '<%= config.bin %> <%= command.id %> scheduler --observe --timeout 1m',
    },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'election name (A-Z a-z 0-9 . _ : / -)', required: true }),
  };
  static override flags = {
    ...clientFlags,
    value: Flags.string({
      description: `the leader's value observers read (at most ${limits.electionValueBytesMax} bytes)`,
      exclusive: ['observe'],
    }),
    observe: Flags.boolean({
      description: 'print each new leader as a JSON line instead of campaigning',
      exclusive: ['value'],
    }),
    ttl: durationFlag({
      description: 'lease TTL: how long leadership outlives this process if it dies',
      minimumMilliseconds: limits.leaseTtlMillisecondsMin,
      maximumMilliseconds: limits.leaseTtlMillisecondsMax,
      fallback: '10s',
    }),
    timeout: durationFlag({
      description:
        'campaign: give up (exit 75) when not elected within this (default 7 days); observe: stop after this (default: at SIGINT)',
      minimumMilliseconds: 0,
      maximumMilliseconds: weekMilliseconds,
    }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Elect);
    const command = (argv as string[]).slice(1);
    if (flags.observe && command.length > 0)
      throw new UsageError('--observe runs no command; leave out what follows --');
    if (!flags.observe && flags.value === undefined)
      throw new UsageError('give --value VALUE to campaign, or --observe to watch the leaders');
    const client = this.makeClient(flags);
    let exitCode = 0;
    try {
      if (flags.observe) await this.observe(client, args.name, flags.timeout);
      else exitCode = await this.campaign(client, args.name, flags, command);
    } finally {
      await client.close();
    }
    this.exit(exitCode);
  }

  private async observe(
    client: CairnClient,
    name: string,
    timeout: number | undefined,
  ): Promise<void> {
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const timer = timeout === undefined ? undefined : setTimeout(onSignal, timeout);
    try {
      await observeElection(
        client,
        name,
        (observation) => process.stdout.write(`${JSON.stringify(observation)}\n`),
        stop.signal,
      );
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private async campaign(
    client: CairnClient,
    name: string,
    flags: { value?: string | undefined; ttl: number; timeout?: number | undefined },
    command: string[],
  ): Promise<number> {
    const value = flags.value as string;
    checkElectionValue(value);
    const json = this.jsonEnabled();
    return runLock(new CoordinationClient(client), {
      name: electionLockName(name),
      mode: 'exclusive',
      ttlMilliseconds: flags.ttl,
      timeoutMilliseconds: flags.timeout ?? weekMilliseconds,
      command,
      announce: (grant, deadline) => announceLeader(client, name, value, grant, deadline),
      report: (event) => this.report(event, name, value, json, command.length === 0),
    });
  }

  private report(
    event: LockEvent,
    name: string,
    value: string,
    json: boolean,
    holding: boolean,
  ): void {
    if (json) process.stdout.write(`${JSON.stringify({ ...event, election: name, value })}\n`);
    switch (event.event) {
      case 'acquired':
        if (!json && holding)
          process.stdout.write(
            `${name} leader ${value} token ${event.token} fence ${event.fence}\n`,
          );
        return;
      case 'not-acquired':
        process.stderr.write(`cairn elect: not elected: ${event.reason} (exit 75)\n`);
        return;
      case 'lost':
        process.stderr.write(
          `cairn elect: leadership of ${name} (token ${event.token}) lost: ${event.reason}; a command that ran was stopped with its process group (exit 76)\n`,
        );
        return;
      case 'released':
        return;
    }
  }
}
