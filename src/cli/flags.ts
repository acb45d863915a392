// Flags every client command shares (DESIGN.md section 6).
import { Flags, type Interfaces } from '@oclif/core';
import { configureClientTls, readClientTls } from '../net/index.js';
import {
  durationForms,
  parseDurationMilliseconds,
  parseSizeBytes,
  sizeForms,
} from '../util/units.js';

export const endpointsFlag = Flags.string({
  description: 'comma-separated HOST:PORT client addresses of cluster nodes',
  env: 'CAIRN_ENDPOINTS',
  helpGroup: 'CLUSTER',
});

export const policyFlag = Flags.option({
  options: ['round-robin', 'random', 'key-hash'] as const,
  description: 'how requests are spread over the endpoints',
  default: 'round-robin' as const,
  helpGroup: 'CLUSTER',
})();

export const consistencyFlag = Flags.option({
  options: ['linearizable', 'serializable'] as const,
  description:
    "linearizable (ReadIndex through the leader) or serializable (the answering node's local state)",
  default: 'linearizable' as const,
})();

// TLS of client commands (https:// endpoints): the CA to trust, a client certificate.
export const tlsFlags = {
  cacert: Flags.file({
    description: 'CA certificate to trust for https endpoints (ca.crt of cairn cert)',
    env: 'CAIRN_CACERT',
    helpGroup: 'TLS',
  }),
  cert: Flags.file({
    description: 'client certificate to present (cairn cert create-client USER)',
    env: 'CAIRN_CERT',
    helpGroup: 'TLS',
  }),
  key: Flags.file({
    description: 'private key of --cert',
    env: 'CAIRN_KEY',
    helpGroup: 'TLS',
  }),
};

/** Reads --cacert/--cert/--key once per command; every client of the process uses them. */
export function applyTlsFlags(flags: Record<string, unknown>): void {
  const paths = { ca: flags['cacert'], certificate: flags['cert'], key: flags['key'] };
  if (Object.values(paths).every((path) => typeof path !== 'string')) return;
  const text = (value: unknown) => (typeof value === 'string' ? { value } : undefined);
  const ca = text(paths.ca);
  const certificate = text(paths.certificate);
  const key = text(paths.key);
  configureClientTls(
    readClientTls({
      ...(ca === undefined ? {} : { ca: ca.value }),
      ...(certificate === undefined ? {} : { certificate: certificate.value }),
      ...(key === undefined ? {} : { key: key.value }),
    }),
  );
}

/** The caller's credential (issue 14): sent as `authorization: Bearer TOKEN`. */
export const tokenFlags = {
  token: Flags.string({
    description: 'bearer token for a cluster with authentication on (from cairn auth token create)',
    env: 'CAIRN_TOKEN',
    helpGroup: 'AUTH',
  }),
  'token-file': Flags.string({
    description: 'read the bearer token from this file (wins over --token and CAIRN_TOKEN)',
    env: 'CAIRN_TOKEN_FILE',
    helpGroup: 'AUTH',
  }),
};

export const clientFlags = {
  endpoints: endpointsFlag,
  policy: policyFlag,
  ...tlsFlags,
  ...tokenFlags,
};

/** NAME=TOKEN from cairn lock (CAIRN_FENCE): the write applies only while the token holds. */
export const fenceFlag = Flags.string({
  description:
    'apply only while this lock token still holds its lock (NAME=TOKEN, from cairn lock)',
  env: 'CAIRN_FENCE',
  helpGroup: 'CLUSTER',
});

/** The longest a command waits for a drain, a rebalance or a grace period: a week. */
export const waitMillisecondsMax = 7 * 24 * 3_600_000;
/** The highest rate a flag takes (far above any disk or network): 1 TiB/s. */
export const rateBytesPerSecondMax = 1024 ** 4;

interface DurationFlagOptions {
  readonly description: string;
  /** What a plain number means (default seconds, what every flag meant so far). */
  readonly plainUnit?: 's' | 'ms';
  readonly minimumMilliseconds: number;
  readonly maximumMilliseconds: number;
  readonly hidden?: boolean;
}

interface SizeFlagOptions {
  readonly description: string;
  /** A rate in bytes per second ("50MiB" or "50MiB/s"). */
  readonly perSecond?: boolean;
  readonly minimumBytes: number;
  readonly maximumBytes: number;
}

type QuantityFlag = Interfaces.OptionFlag<number> | Interfaces.OptionFlag<number | undefined>;

/**
 * A duration flag (30s, 500ms, 2m, 1h), parsed into milliseconds by the one parser
 * (src/util/units.ts). `fallback` is the default as the user would type it.
 */
export function durationFlag(
  options: DurationFlagOptions & { readonly fallback: string },
): Interfaces.OptionFlag<number>;
export function durationFlag(
  options: DurationFlagOptions,
): Interfaces.OptionFlag<number | undefined>;
export function durationFlag(
  options: DurationFlagOptions & { readonly fallback?: string },
): QuantityFlag {
  const plainUnit = options.plainUnit ?? 's';
  const parse = (text: string, flag: string): number =>
    parseDurationMilliseconds(text, { ...options, flag, plainUnit });
  const plain = plainUnit === 's' ? 'seconds' : 'milliseconds';
  return quantityFlag(
    `${options.description} (like ${durationForms}; a plain number is ${plain})`,
    'DURATION',
    parse,
    options.fallback,
    options.hidden ?? false,
  );
}

/** A size flag (50MiB, 1GiB, 512KiB, 100MB), parsed into bytes by the one parser. */
export function sizeFlag(
  options: SizeFlagOptions & { readonly fallback: string },
): Interfaces.OptionFlag<number>;
export function sizeFlag(options: SizeFlagOptions): Interfaces.OptionFlag<number | undefined>;
export function sizeFlag(options: SizeFlagOptions & { readonly fallback?: string }): QuantityFlag {
  const perSecond = options.perSecond ?? false;
  const parse = (text: string, flag: string): number =>
    parseSizeBytes(text, { ...options, flag, perSecond });
  const plain = perSecond ? 'bytes per second' : 'bytes';
  return quantityFlag(
    `${options.description} (like ${sizeForms}; a plain number is ${plain})`,
    perSecond ? 'RATE' : 'SIZE',
    parse,
    options.fallback,
    false,
  );
}

function quantityFlag(
  description: string,
  helpValue: string,
  parse: (text: string, flag: string) => number,
  fallback: string | undefined,
  hidden: boolean,
): QuantityFlag {
  const base = {
    description,
    helpValue,
    hidden,
    parse: async (input: string, _context: unknown, flag: { name: string }) =>
      parse(input, `--${flag.name}`),
  };
  if (fallback === undefined) return Flags.custom<number>(base)();
  // The default is checked by the same parser, so a wrong one fails at the first run.
  const value = parse(fallback, 'the default');
  return Flags.custom<number>({
    ...base,
    default: value,
    defaultHelp: async () => fallback,
  })() as QuantityFlag;
}
