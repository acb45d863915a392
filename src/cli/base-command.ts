// The base of every cairn command, in the style of oclif's own plugins: static
// summary/description/examples/flags, `--json` through enableJsonFlag, and run()
// returning a typed result that oclif prints as JSON when --json is given.

import { Command, type Interfaces } from '@oclif/core';
import { CairnClient, type BalancingPolicy } from '../client/index.js';
import { applyTlsFlags } from './flags.js';
import { renderTable } from './output.js';
import { type TokenFlagValues, tokenOf } from './token.js';

export abstract class CairnCommand extends Command {
  static override enableJsonFlag = true;

  /** Parses, then applies the TLS flags (--cacert, --cert, --key) a command has. */
  protected override async parse<
    F extends Interfaces.OutputFlags<Interfaces.FlagInput>,
    B extends Interfaces.OutputFlags<Interfaces.FlagInput>,
    A extends Interfaces.OutputArgs<Interfaces.ArgInput>,
  >(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv);
    applyTlsFlags(parsed.flags as Record<string, unknown>);
    return parsed;
  }

  /** Prints a table unless --json is on (oclif then prints the returned result). */
  protected printTable(head: readonly string[], rows: readonly (readonly string[])[]): void {
    if (this.jsonEnabled()) return;
    this.log(renderTable(head, rows));
  }

  /** A client over --endpoints (or CAIRN_ENDPOINTS); the caller closes it. */
  protected makeClient(
    flags: {
      endpoints?: string | undefined;
      policy?: BalancingPolicy | undefined;
    } & TokenFlagValues,
  ): CairnClient {
    const token = tokenOf(flags);
    return new CairnClient({
      ...(token === undefined ? {} : { token }),
      endpoints: flags.endpoints ?? '',
      ...(flags.policy === undefined ? {} : { policy: flags.policy }),
    });
  }

  // Errors are reported by src/cli/main.ts with codes and exit codes; oclif's own
  // handler would print a stack trace and a different format.
  protected override async catch(error: Error & { exitCode?: number }): Promise<never> {
    throw error;
  }
}
