// A fault-injecting TCP proxy for one directed peer link (from -> to). Each node
// reaches each peer through its own proxy (CAIRN_TEST_PEER_ROUTES), so a partition
// of any shape — isolate a node, split majority/minority, bridge, one way — is a
// choice of link modes, without root or iptables.
//
// Modes: 'pass' forwards bytes both ways; 'drop' resets every connection and
// refuses new ones at once (the sender sees ECONNRESET: a fast failure);
// 'blackhole' keeps connections open and discards every byte (the sender sees
// nothing until its own timeout: a slow failure, like a cut cable).

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export type LinkMode = 'pass' | 'drop' | 'blackhole';

interface Pair {
  readonly inbound: Socket;
  readonly outbound: Socket | null;
}

export class LinkProxy {
  private mode: LinkMode = 'pass';
  private readonly pairs = new Set<Pair>();
  private listenAddress = '';

  private constructor(
    readonly from: string,
    readonly to: string,
    private readonly target: { readonly host: string; readonly port: number },
    private readonly server: Server,
  ) {}

  /** Listens on host:0 (the OS picks a free port) and forwards to target. */
  static async start(
    from: string,
    to: string,
    host: string,
    target: { host: string; port: number },
  ): Promise<LinkProxy> {
    assert(from !== to, 'a link joins two different nodes');
    const server = createServer();
    const proxy = new LinkProxy(from, to, target, server);
    server.maxConnections = limits.chaosProxyConnectionsMax;
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    assert(address !== null && typeof address === 'object', 'the proxy listens on TCP');
    proxy.listenAddress = `${host}:${address.port}`;
    return proxy;
  }

  /** HOST:PORT the sending node is told to use for the receiving node. */
  get address(): string {
    return this.listenAddress;
  }

  get currentMode(): LinkMode {
    return this.mode;
  }

  get connectionCount(): number {
    return this.pairs.size;
  }

  setMode(mode: LinkMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    // Existing connections carry the old mode's bytes: cut them all, so a
    // blackholed or dropped link loses what was in flight too.
    for (const pair of [...this.pairs])
      this.destroyPair(pair, mode === 'blackhole' ? 'keep-inbound' : 'all');
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.destroyPair(pair, 'all');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(inbound: Socket): void {
    inbound.on('error', () => undefined);
    if (this.mode === 'drop') {
      inbound.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole') {
      const pair: Pair = { inbound, outbound: null };
      this.track(pair);
      inbound.on('data', () => undefined);
      return;
    }
    const outbound = createConnection({ host: this.target.host, port: this.target.port });
    outbound.on('error', () => undefined);
    const pair: Pair = { inbound, outbound };
    this.track(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    outbound.on('close', () => this.destroyPair(pair, 'all'));
  }

  private track(pair: Pair): void {
    this.pairs.add(pair);
    pair.inbound.on('close', () => this.destroyPair(pair, 'all'));
  }

  /** 'keep-inbound' turns a live pair into a blackholed one: the sender's socket stays open and silent. */
  private destroyPair(pair: Pair, how: 'all' | 'keep-inbound'): void {
    if (!this.pairs.has(pair)) return;
    this.pairs.delete(pair);
    if (pair.outbound !== null) {
      pair.inbound.unpipe();
      pair.outbound.unpipe();
      pair.outbound.resetAndDestroy();
    }
    if (how === 'all') {
      pair.inbound.resetAndDestroy();
      return;
    }
    const silent: Pair = { inbound: pair.inbound, outbound: null };
    this.pairs.add(silent);
    pair.inbound.once('close', () => this.pairs.delete(silent));
    pair.inbound.removeAllListeners('data');
    pair.inbound.on('data', () => undefined);
    pair.inbound.resume();
  }
}

/** A proxy on every directed link between the given node ids. */
export class ProxyMesh {
  private constructor(private readonly links: ReadonlyMap<string, LinkProxy>) {}

  static async start(
    peerAddresses: ReadonlyMap<string, { host: string; port: number }>,
    host: string,
  ): Promise<ProxyMesh> {
    const links = new Map<string, LinkProxy>();
    const ids = [...peerAddresses.keys()];
    assert(ids.length <= limits.chaosNodesMax + limits.chaosSpareNodesMax, 'the mesh is bounded');
    try {
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue;
          links.set(
            linkName(from, to),
            await LinkProxy.start(
              from,
              to,
              host,
              peerAddresses.get(to) as { host: string; port: number },
            ),
          );
        }
      }
    } catch (error) {
      await Promise.all([...links.values()].map((link) => link.close()));
      throw error;
    }
    return new ProxyMesh(links);
  }

  /** CAIRN_TEST_PEER_ROUTES for node `from`: every peer through its proxy. */
  routesFor(from: string): Record<string, string> {
    const routes: Record<string, string> = {};
    for (const link of this.links.values()) if (link.from === from) routes[link.to] = link.address;
    return routes;
  }

  link(from: string, to: string): LinkProxy {
    const link = this.links.get(linkName(from, to));
    assert(link !== undefined, `no link ${from}->${to}`);
    return link;
  }

  /** Sets every directed link listed; the others keep their mode. */
  apply(cuts: readonly { from: string; to: string }[], mode: LinkMode): void {
    for (const cut of cuts) this.link(cut.from, cut.to).setMode(mode);
  }

  healAll(): void {
    for (const link of this.links.values()) link.setMode('pass');
  }

  /** Links not in 'pass' mode, as "from->to:mode". */
  faultyLinks(): string[] {
    return [...this.links.values()]
      .filter((link) => link.currentMode !== 'pass')
      .map((link) => `${link.from}->${link.to}:${link.currentMode}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.close()));
  }
}

function linkName(from: string, to: string): string {
  return `${from}->${to}`;
}
