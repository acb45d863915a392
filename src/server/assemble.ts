// A node assembled: its storage, the meta group, the services, the two servers (ticked).

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { NodeInfo } from '../api/index.js';
import { ChunkTransport } from '../data/chunk-transfer.js';
import { closeListener, listen } from '../net/index.js';
import { lockDataDirectory, readIdentity } from '../node/identity.js';
import { MetaGroup } from '../node/meta-group.js';
import { MetaStateMachine } from '../node/meta-state-machine.js';
import * as node from '../node/node-services.js';
import { type ClientPort, createClientServer } from './client-server.js';
import { clientPortOf, peerHandlers } from './node-handlers.js';
import { PeerTransport } from './peer-transport.js';
import { createPeerServer, memberQuestion } from './peer-server.js';
import { openNodeStorage } from './node-storage.js';

export interface NodeConfig {
  readonly name: string;
  readonly dataDirectory: string;
  readonly clientListen: { readonly host: string; readonly port: number };
  readonly peerListen: { readonly host: string; readonly port: number };
  readonly zone: string;
  readonly weight: number;
  readonly version: string;
  readonly tickMilliseconds: number;
  /** Applied entries between two snapshots of the meta state (and log compactions). */
  readonly snapshotIntervalEntries: number;
  readonly encryptionKeyFile?: string | undefined;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

export interface RunningNode {
  readonly services: node.NodeServices;
  info(): NodeInfo;
  stop(): Promise<void>;
}

const fatalExitDelayMilliseconds = 5_000;

export async function startNode(config: NodeConfig): Promise<RunningNode> {
  mkdirSync(config.dataDirectory, { recursive: true });
  const releaseLock = lockDataDirectory(config.dataDirectory);
  const closers: (() => Promise<unknown>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      releaseLock();
      config.log('stopped');
    })();
    return stopping;
  };
  try {
    const storage = await openNodeStorage(config, closers);
    const { stateStore, chunkStore, hints, opened, testHooks, snapshots } = storage;
    const addresses = { client: '', peer: '' };
    let group: MetaGroup | undefined;
    let services: node.NodeServices | undefined;
    const metrics = node.nodeMetrics(config.name, () => ({ group, services, transport }));
    const transport = new PeerTransport({
      onRoundTrip: node.peerAnswered(metrics, () => services),
      clusterId: () => group?.identity()?.clusterId ?? '',
      onUnreachable: (peer) => group?.reportUnreachable(peer),
      onSnapshotReport: (peer, delivered) => group?.reportSnapshot(peer, delivered),
      ...{ snapshots, onSnapshotTransfer: snapshots.logTransfer },
    });
    const chunkTransport = new ChunkTransport();
    closers.push(() => Promise.allSettled([transport.close(), chunkTransport.close()]));
    group = new MetaGroup({
      nodeId: config.name,
      dataDirectory: config.dataDirectory,
      snapshotIntervalEntries: config.snapshotIntervalEntries,
      stateMachine: new MetaStateMachine(stateStore, {
        onChanges: (_index, changes) => services?.onChanges(changes),
        snapshots,
      }),
      snapshotFiles: snapshots.files,
      storedAppliedIndex: () => stateStore.appliedIndex(),
      durableLog: opened.log,
      replayed: opened.replayed,
      identity: readIdentity(config.dataDirectory),
      transport,
      testHooks,
      log: config.log,
      observer: node.groupObserverOf(metrics),
      onFatal: () => {
        // Exit with 1 even if a part of stop() never settles after the failure.
        setTimeout(() => process.exit(1), fatalExitDelayMilliseconds);
        void stop().finally(() => process.exit(1));
      },
    });
    const info = (): NodeInfo => ({
      id: config.name,
      clientAddress: addresses.client,
      peerAddress: addresses.peer,
      zone: config.zone,
      weight: config.weight,
      clusterId: group?.identity()?.clusterId ?? null,
      version: config.version,
    });
    const running = node.createNodeServices({
      ...config,
      ...{ group, chunkStore, chunkTransport, hints, testHooks, metrics, info },
    });
    services = running;
    const clientPort: ClientPort = clientPortOf(running, metrics, info);
    const activeGroup = group;
    const peerPort = peerHandlers(
      running,
      chunkStore,
      {
        clusterId: () => activeGroup.identity()?.clusterId,
        onMessages: (messages) => activeGroup.step(messages),
      },
      snapshots,
    );
    const servers: Server[] = [
      createClientServer(clientPort),
      createPeerServer({ handlers: peerPort, clientPort, membership: memberQuestion(group) }),
    ];
    closers.push(() => Promise.allSettled(servers.map((server) => closeListener(server))));
    const [clientServer, peerServer] = servers as [Server, Server];
    addresses.client = await listen(clientServer, config.clientListen);
    addresses.peer = await listen(peerServer, config.peerListen);
    config.log('listening', { client: addresses.client, peer: addresses.peer });
    const ticker = setInterval(() => activeGroup.tick(), config.tickMilliseconds);
    closers.push(async () => {
      clearInterval(ticker);
      running.stop();
      await activeGroup.stop();
    });
    if (group.identity() !== undefined) await group.start();
    return { services: running, info, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
