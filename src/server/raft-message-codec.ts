// Binary encoding of Raft message batches for the peer API: one HTTP request carries
// every message a node has for one peer in one driver iteration (DESIGN.md section 4).
// Entry payloads travel as raw bytes, never JSON or base64.

import type { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '../raft/index.js';
import { assert } from '../util/assert.js';
import { BinaryReader, BinaryWriter } from '../util/codec.js';
import { CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';

const batchFormatVersion = 1;
const nodeIdBytesMax = 256;
const messagesPerBatchMax = 65_536;
const entriesPerMessageMax = 1_000_000;
const membersMax = limits.raftMembersMax;

// Numbers on the wire are stable: append new types at the end.
const messageTypes: readonly MessageType[] = [
  'vote',
  'voteResponse',
  'preVote',
  'preVoteResponse',
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'snapshot',
  'timeoutNow',
  'readIndex',
  'readIndexResponse',
  'transferLeader',
];
const entryTypes: readonly EntryType[] = ['normal', 'confChange'];

export interface MessageBatch {
  readonly clusterId: string;
  readonly messages: readonly Message[];
}

export function encodeMessageBatch(batch: MessageBatch): Uint8Array {
  assert(batch.messages.length <= messagesPerBatchMax, 'messages per batch within the limit');
  const writer = new BinaryWriter(1024);
  writer
    .writeUint8(batchFormatVersion)
    .writeString(batch.clusterId)
    .writeVarint(batch.messages.length);
  for (const message of batch.messages) writeMessage(writer, message);
  return writer.finish();
}

export function decodeMessageBatch(bytes: Uint8Array): MessageBatch {
  const reader = new BinaryReader(bytes, 'raft message batch');
  const version = reader.readUint8();
  if (version !== batchFormatVersion) {
    throw new CorruptionError(
      `raft message batch has format version ${version}, this node speaks ${batchFormatVersion}`,
    );
  }
  const clusterId = reader.readString(nodeIdBytesMax);
  const count = readCount(reader, messagesPerBatchMax, 'messages');
  const messages: Message[] = [];
  for (let index = 0; index < count; index++) messages.push(readMessage(reader));
  reader.expectEnd();
  return { clusterId, messages };
}

function writeMessage(writer: BinaryWriter, message: Message): void {
  const typeNumber = messageTypes.indexOf(message.type);
  assert(typeNumber >= 0, `known message type ${message.type}`);
  writer
    .writeUint8(typeNumber)
    .writeString(message.groupId)
    .writeString(message.from)
    .writeString(message.to);
  writer.writeVarint(message.term).writeVarint(message.logTerm).writeVarint(message.index);
  writer.writeVarint(message.commit).writeBoolean(message.reject).writeVarint(message.rejectHint);
  writer.writeVarint(message.entries.length);
  for (const entry of message.entries) writeEntry(writer, entry);
  writer.writeBoolean(message.context !== undefined);
  if (message.context !== undefined) writer.writeBytes(message.context);
  writer.writeBoolean(message.snapshot !== undefined);
  if (message.snapshot !== undefined) writeSnapshot(writer, message.snapshot);
}

function readMessage(reader: BinaryReader): Message {
  const typeNumber = reader.readUint8();
  const type = messageTypes[typeNumber];
  if (type === undefined) throw new CorruptionError(`unknown raft message type ${typeNumber}`);
  const groupId = reader.readString(nodeIdBytesMax);
  const from = reader.readString(nodeIdBytesMax);
  const to = reader.readString(nodeIdBytesMax);
  const term = reader.readVarint();
  const logTerm = reader.readVarint();
  const index = reader.readVarint();
  const commit = reader.readVarint();
  const reject = reader.readBoolean();
  const rejectHint = reader.readVarint();
  const entryCount = readCount(reader, entriesPerMessageMax, 'entries');
  const entries: Entry[] = [];
  for (let entry = 0; entry < entryCount; entry++) entries.push(readEntry(reader));
  const context = reader.readBoolean()
    ? reader.readBytes(limits.raftEntryBytesMax).slice()
    : undefined;
  const snapshot = reader.readBoolean() ? readSnapshot(reader) : undefined;
  return {
    type,
    groupId,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    reject,
    rejectHint,
    entries,
    ...(context === undefined ? {} : { context }),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
}

function writeEntry(writer: BinaryWriter, entry: Entry): void {
  writer
    .writeVarint(entry.term)
    .writeVarint(entry.index)
    .writeUint8(entryTypes.indexOf(entry.type))
    .writeBytes(entry.data);
}

function readEntry(reader: BinaryReader): Entry {
  const term = reader.readVarint();
  const index = reader.readVarint();
  const typeNumber = reader.readUint8();
  const type = entryTypes[typeNumber];
  if (type === undefined) throw new CorruptionError(`unknown raft entry type ${typeNumber}`);
  // A copy: the entry outlives the request buffer (it goes into the log).
  const data = reader.readBytes(limits.raftEntryBytesMax).slice();
  return { term, index, type, data };
}

function writeSnapshot(writer: BinaryWriter, snapshot: Snapshot): void {
  const { index, term, confState } = snapshot.metadata;
  writer.writeVarint(index).writeVarint(term);
  writeMembers(writer, confState.voters);
  writeMembers(writer, confState.learners);
  writer.writeBytes(snapshot.data);
}

function readSnapshot(reader: BinaryReader): Snapshot {
  const index = reader.readVarint();
  const term = reader.readVarint();
  const confState: ConfState = { voters: readMembers(reader), learners: readMembers(reader) };
  const data = reader.readBytes().slice();
  return { metadata: { index, term, confState }, data };
}

function writeMembers(writer: BinaryWriter, members: readonly string[]): void {
  writer.writeVarint(members.length);
  for (const member of members) writer.writeString(member);
}

function readMembers(reader: BinaryReader): string[] {
  const count = readCount(reader, membersMax, 'members');
  const members: string[] = [];
  for (let index = 0; index < count; index++) members.push(reader.readString(nodeIdBytesMax));
  return members;
}

function readCount(reader: BinaryReader, maximum: number, what: string): number {
  const count = reader.readVarint();
  if (count > maximum)
    throw new CorruptionError(
      `raft message batch claims ${count} ${what}, above the limit ${maximum}`,
    );
  return count;
}
