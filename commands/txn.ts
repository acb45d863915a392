import { readFileSync } from 'node:fs';
import { Args } from '@oclif/core';
import type { TxnAnswer } from '../src/api/index.js';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, fenceFlag } from '../src/cli/flags.js';
import { readTxnBody, txnTables } from '../src/cli/txn-report.js';

export default class Txn extends CairnCommand {
  static override summary = 'Run a transaction: compares, then one branch of operations, at once.';
  static override description =
    'Reads the JSON body of POST /v1/txn ({"compare": [...], "success": [...], "failure": [...]}, see API.md) from FILE or stdin. Every compare is checked against the state before the txn; if all hold the success operations apply, else the failure ones, in one committed entry. A fresh request id makes a retry return the first outcome. With --fence NAME=TOKEN (or CAIRN_FENCE, set by cairn lock) it applies only while that token holds the lock, else it fails with FENCED and changes nothing. Exits 0 when the compares held, 1 when they failed (every failed compare is printed with its key\'s current state), 2 when the body is malformed (the message names the bad field, e.g. success[3].key).';
  static override examples = [
    {
      description: 'Move 10 from a to b if neither changed since version 7 and 9',
      command:
        'echo \'{"compare":[{"key":"a","target":"version","operator":"=","value":7},{"key":"b","target":"version","operator":"=","value":9}],"success":[{"type":"put","key":"a","valueText":"90"},{"type":"put","key":"b","valueText":"110"}]}\' | <%= config.bin %> <%= command.id %> -',
    },
    {
      description: 'Create a key only if it is absent, else read it',
      command:
        'echo \'{"compare":[{"key":"k","target":"exists","value":false}],"success":[{"type":"put","key":"k","valueText":"v"}],"failure":[{"type":"get","key":"k"}]}\' | <%= config.bin %> <%= command.id %> - --json',
    },
    {
      description:
        'Under a lock: applied only while its token holds (cairn lock sets CAIRN_FENCE), else FENCED',
      command:
        '<%= config.bin %> lock jobs/leader -- <%= config.bin %> <%= command.id %> ./step.json',
    },
    {
      description: 'Commit two staged uploads together',
      command: '<%= config.bin %> <%= command.id %> ./commit.json',
    },
  ];
  static override args = {
    file: Args.string({ description: 'the JSON body, or - for stdin', required: true }),
  };
  static override flags = { ...clientFlags, fence: fenceFlag };

  async run(): Promise<TxnAnswer> {
    const { args, flags } = await this.parse(Txn);
    const request = readTxnBody(args.file, () => readFileSync(0));
    const client = this.makeClient(flags);
    let answer: TxnAnswer;
    try {
      const fence = flags.fence === undefined || flags.fence === '' ? {} : { fence: flags.fence };
      answer = await client.txn(
        { ...request, ...(request.requestId === '' ? {} : { requestId: request.requestId }) },
        fence,
      );
    } finally {
      await client.close();
    }
    if (!this.jsonEnabled()) {
      const tables = txnTables(answer);
      this.log(tables.headline);
      if (tables.results.rows.length > 0) this.printTable(tables.results.head, tables.results.rows);
      if (tables.failed.rows.length > 0) this.printTable(tables.failed.head, tables.failed.rows);
    }
    if (answer.succeeded) return answer;
    if (this.jsonEnabled()) this.logJson(answer);
    this.exit(1);
  }
}
