// The limits of the machine cairn runs on, measured from Node in one run (a few seconds
// each, about 20 s in all): what a cairn figure should be compared with.
//   fdatasync rate: 4 KiB write + fdatasync, appending to a fresh file / rewriting a pre-written one
//   sequential write: 1 MiB writes, then one fsync (bandwidth includes the fsync)
//   sequential read: 4 MiB reads with O_DIRECT (the disk) and through the page cache
//   HTTP: a trivial node:http server (its own process) driven by the bench load generator
//         over 64 undici keep-alive connections
//   TCP: one loopback stream into a sink process
// Run: npx tsx bench/machine-limits.ts [--dir DIR] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  constants,
  fdatasyncSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { formatNumber, LatencyHistogram, runPhase } from '../src/bench/index.js';

const MiB = 1024 * 1024;
const syncBlockBytes = 4096;
const syncOperationsMax = 200_000;
const sequentialBytesMax = 2048 * MiB;
const readBlockBytes = 4 * MiB;
const directAlignmentSearchBytes = 4096;

export interface SyncRate {
  readonly operationsPerSecond: number;
  readonly p50Milliseconds: number;
  readonly p99Milliseconds: number;
}

export interface MachineLimits {
  readonly cores: number;
  readonly memoryGibibytes: number;
  readonly directory: string;
  readonly fdatasyncFresh: SyncRate;
  readonly fdatasyncRewrite: SyncRate;
  readonly sequentialWriteMebibytesPerSecond: number;
  readonly sequentialReadDirectMebibytesPerSecond: number;
  readonly sequentialReadCachedMebibytesPerSecond: number;
  readonly httpRequestsPerSecond: number;
  readonly httpP50Milliseconds: number;
  readonly httpOneClientP50Milliseconds: number;
  readonly loopbackTcpGibibitsPerSecond: number;
}

function syncLoop(
  path: string,
  durationMilliseconds: number,
  positionOf: (operation: number) => number,
): SyncRate {
  const fd = openSync(path, 'r+');
  const block = Buffer.alloc(syncBlockBytes, 0xab);
  const histogram = new LatencyHistogram();
  const start = performance.now();
  try {
    for (
      let operation = 0;
      operation < syncOperationsMax && performance.now() - start < durationMilliseconds;
      operation++
    ) {
      const before = performance.now();
      writeSync(fd, block, 0, syncBlockBytes, positionOf(operation));
      fdatasyncSync(fd);
      histogram.recordMilliseconds(performance.now() - before);
    }
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    operationsPerSecond: histogram.count / seconds,
    p50Milliseconds: histogram.percentileMilliseconds(50),
    p99Milliseconds: histogram.percentileMilliseconds(99),
  };
}

export function measureFdatasync(
  directory: string,
  durationMilliseconds: number,
): { fresh: SyncRate; rewrite: SyncRate } {
  const freshPath = join(directory, 'fresh.bin');
  closeSync(openSync(freshPath, 'w'));
  const fresh = syncLoop(
    freshPath,
    durationMilliseconds,
    (operation) => operation * syncBlockBytes,
  );
  rmSync(freshPath, { force: true });
  const rewritePath = join(directory, 'rewrite.bin');
  const fileBytes = 64 * MiB;
  writeForBandwidth(rewritePath, fileBytes, Infinity);
  const rewrite = syncLoop(
    rewritePath,
    durationMilliseconds,
    (operation) => (operation % (fileBytes / syncBlockBytes)) * syncBlockBytes,
  );
  rmSync(rewritePath, { force: true });
  return { fresh, rewrite };
}

/** Writes 1 MiB pieces until `bytesMax` or the time is up, then fsyncs; returns bytes written and MiB/s. */
function writeForBandwidth(
  path: string,
  bytesMax: number,
  durationMilliseconds: number,
): { bytes: number; mebibytesPerSecond: number } {
  const fd = openSync(path, 'w');
  const piece = Buffer.alloc(MiB, 0x5a);
  const start = performance.now();
  let bytes = 0;
  try {
    for (; bytes < bytesMax && performance.now() - start < durationMilliseconds; bytes += MiB)
      writeSync(fd, piece, 0, MiB, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { bytes, mebibytesPerSecond: bytes / MiB / ((performance.now() - start) / 1000) };
}

/** O_DIRECT needs an aligned buffer address; Node cannot ask for one, so probe offsets into a larger buffer. */
function alignedReadOffset(fd: number, buffer: Buffer): number | undefined {
  for (let offset = 0; offset < directAlignmentSearchBytes; offset += 16) {
    try {
      readSync(fd, buffer, offset, readBlockBytes, 0);
      return offset;
    } catch {
      // misaligned: EINVAL
    }
  }
  return undefined;
}

function readForBandwidth(path: string, bytes: number, direct: boolean): number {
  const fd = openSync(path, direct ? constants.O_RDONLY | constants.O_DIRECT : 'r');
  const buffer = Buffer.allocUnsafeSlow(readBlockBytes + directAlignmentSearchBytes);
  try {
    const offset = direct ? alignedReadOffset(fd, buffer) : 0;
    if (offset === undefined) return Number.NaN;
    const start = performance.now();
    let read = 0;
    for (let position = 0; position < bytes; position += readBlockBytes)
      read += readSync(fd, buffer, offset, readBlockBytes, position);
    return read / MiB / ((performance.now() - start) / 1000);
  } finally {
    closeSync(fd);
  }
}

export function measureSequential(
  directory: string,
  durationMilliseconds: number,
): { write: number; readDirect: number; readCached: number } {
  const path = join(directory, 'sequential.bin');
  try {
    const written = writeForBandwidth(path, sequentialBytesMax, durationMilliseconds);
    const readable = Math.floor(written.bytes / readBlockBytes) * readBlockBytes;
    const readDirect = readForBandwidth(path, readable, true);
    readForBandwidth(path, readable, false); // warm the page cache
    const readCached = readForBandwidth(path, readable, false);
    return { write: written.mebibytesPerSecond, readDirect, readCached };
  } finally {
    rmSync(path, { force: true });
  }
}

/** A child Node process running `source`; it prints its port on the first line of stdout. */
async function startHelperProcess(source: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`helper exited with ${code}`)));
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString('utf8').trim())));
  });
  return { child, port };
}

function stopHelperProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const httpServerSource = `const http=require('node:http');const s=http.createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain','content-length':'2'});r.end('ok')});s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;

/** Requests/s of a trivial node:http server, driven as cairn is: the bench runner over undici. */
export async function measureHttp(
  durationMilliseconds: number,
  clients = 64,
): Promise<{
  requestsPerSecond: number;
  p50Milliseconds: number;
  oneClientP50Milliseconds: number;
}> {
  const { child, port } = await startHelperProcess(httpServerSource);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: clients, pipelining: 1 });
  const request = async (): Promise<number> => {
    const response = await pool.request({ path: '/', method: 'GET' });
    await response.body.dump();
    return 0;
  };
  try {
    const many = await runPhase({
      name: 'http',
      clients,
      durationMilliseconds,
      plan: () => ({ kind: 'get', run: request }),
    });
    const one = await runPhase({
      name: 'http',
      clients: 1,
      durationMilliseconds: Math.min(durationMilliseconds, 2000),
      plan: () => ({ kind: 'get', run: request }),
    });
    const manyStats = many.operations[0];
    const oneStats = one.operations[0];
    return {
      requestsPerSecond: (manyStats?.operations ?? 0) / (many.elapsedMilliseconds / 1000),
      p50Milliseconds: manyStats?.latency.p50Milliseconds ?? Number.NaN,
      oneClientP50Milliseconds: oneStats?.latency.p50Milliseconds ?? Number.NaN,
    };
  } finally {
    await pool.close();
    await stopHelperProcess(child);
  }
}

const tcpSinkSource = `const net=require('node:net');const s=net.createServer((c)=>{let n=0;c.on('data',(d)=>{n+=d.length});c.on('end',()=>c.end(String(n)))});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;

/** One loopback TCP stream of 1 MiB writes into a sink process; Gibit/s counted by the sink. */
export async function measureLoopbackTcp(durationMilliseconds: number): Promise<number> {
  const { child, port } = await startHelperProcess(tcpSinkSource);
  try {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const piece = Buffer.alloc(MiB, 0x33);
    const start = performance.now();
    const writesMax = 1_000_000;
    for (
      let write = 0;
      write < writesMax && performance.now() - start < durationMilliseconds;
      write++
    ) {
      if (!socket.write(piece)) await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
    const received = await new Promise<number>((resolve) => {
      let answer = '';
      socket.on('data', (data: Buffer) => {
        answer += data.toString('utf8');
      });
      socket.once('end', () => resolve(Number(answer)));
      socket.end();
    });
    return (received * 8) / 1024 ** 3 / ((performance.now() - start) / 1000);
  } finally {
    await stopHelperProcess(child);
  }
}

export async function measureMachineLimits(
  directory: string,
  log: (line: string) => void = () => {},
): Promise<MachineLimits> {
  const scratch = mkdtempSync(join(directory, 'cairn-limits-'));
  try {
    log('fdatasync...');
    const sync = measureFdatasync(scratch, 2000);
    log('sequential write and read...');
    const sequential = measureSequential(scratch, 3000);
    log('HTTP on loopback...');
    const http = await measureHttp(3000);
    log('TCP on loopback...');
    const tcp = await measureLoopbackTcp(2000);
    return {
      cores: cpus().length,
      memoryGibibytes: totalmem() / 1024 ** 3,
      directory,
      fdatasyncFresh: sync.fresh,
      fdatasyncRewrite: sync.rewrite,
      sequentialWriteMebibytesPerSecond: sequential.write,
      sequentialReadDirectMebibytesPerSecond: sequential.readDirect,
      sequentialReadCachedMebibytesPerSecond: sequential.readCached,
      httpRequestsPerSecond: http.requestsPerSecond,
      httpP50Milliseconds: http.p50Milliseconds,
      httpOneClientP50Milliseconds: http.oneClientP50Milliseconds,
      loopbackTcpGibibitsPerSecond: tcp,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function machineLimitRows(limits: MachineLimits): string[][] {
  const f = formatNumber;
  return [
    [
      'fdatasync, 4 KiB appends to a fresh file',
      `${f(limits.fdatasyncFresh.operationsPerSecond)}/s`,
      `p50 ${f(limits.fdatasyncFresh.p50Milliseconds)} ms, p99 ${f(limits.fdatasyncFresh.p99Milliseconds)} ms`,
    ],
    [
      'fdatasync, 4 KiB rewrites of a pre-written file',
      `${f(limits.fdatasyncRewrite.operationsPerSecond)}/s`,
      `p50 ${f(limits.fdatasyncRewrite.p50Milliseconds)} ms, p99 ${f(limits.fdatasyncRewrite.p99Milliseconds)} ms`,
    ],
    [
      'sequential write, 1 MiB writes + fsync',
      `${f(limits.sequentialWriteMebibytesPerSecond)} MiB/s`,
      'page cache, then one fsync',
    ],
    [
      'sequential read, 4 MiB O_DIRECT reads',
      `${f(limits.sequentialReadDirectMebibytesPerSecond)} MiB/s`,
      'the disk, one read in flight',
    ],
    [
      'sequential read, 4 MiB reads, page cache',
      `${f(limits.sequentialReadCachedMebibytesPerSecond)} MiB/s`,
      'memory copies',
    ],
    [
      'trivial node:http server, 64 undici clients',
      `${f(limits.httpRequestsPerSecond)} req/s`,
      `p50 ${f(limits.httpP50Milliseconds)} ms; 1 client p50 ${f(limits.httpOneClientP50Milliseconds)} ms`,
    ],
    [
      'loopback TCP, one stream',
      `${f(limits.loopbackTcpGibibitsPerSecond)} Gibit/s`,
      '1 MiB writes into a sink process',
    ],
  ];
}

async function main(): Promise<void> {
  const directoryIndex = process.argv.indexOf('--dir');
  const directory = directoryIndex >= 0 ? (process.argv[directoryIndex + 1] ?? tmpdir()) : tmpdir();
  const json = process.argv.includes('--json');
  const { renderTable } = await import('../src/cli/output.js');
  const measured = await measureMachineLimits(directory, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  if (json) {
    console.log(JSON.stringify(measured, null, 2));
    return;
  }
  console.log(
    `machine: ${measured.cores} cores, ${measured.memoryGibibytes.toFixed(1)} GiB, data directory ${measured.directory}`,
  );
  console.log(renderTable(['limit', 'figure', 'detail'], machineLimitRows(measured)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
