// oclif's explicit command strategy (the directory strategy fails inside the single
// executable): every command is listed here by its id.
import AuthRoleAdd from './auth/role/add.js';
import AuthRoleGrant from './auth/role/grant.js';
import AuthRoleList from './auth/role/list.js';
import AuthRoleRevoke from './auth/role/revoke.js';
import AuthRoleRm from './auth/role/rm.js';
import AuthTokenCreate from './auth/token/create.js';
import AuthTokenList from './auth/token/list.js';
import AuthTokenRevoke from './auth/token/revoke.js';
import AuthUserAdd from './auth/user/add.js';
import AuthUserGrantRole from './auth/user/grant-role.js';
import AuthUserList from './auth/user/list.js';
import AuthUserRevokeRole from './auth/user/revoke-role.js';
import AuthUserRm from './auth/user/rm.js';
import AuthWhoami from './auth/whoami.js';
import Bench from './bench.js';
import Bootstrap from './bootstrap.js';
import BackupCreate from './backup/create.js';
import BackupList from './backup/list.js';
import BackupPrune from './backup/prune.js';
import BackupRestore from './backup/restore.js';
import BackupVerify from './backup/verify.js';
import CertCreateCa from './cert/create-ca.js';
import CertCreateClient from './cert/create-client.js';
import CertCreateNode from './cert/create-node.js';
import CertInspect from './cert/inspect.js';
import CertList from './cert/list.js';
import Chaos from './chaos.js';
import Dev from './dev.js';
import EncryptionAddKey from './encryption/add-key.js';
import EncryptionCreateKey from './encryption/create-key.js';
import EncryptionListKeys from './encryption/list-keys.js';
import Get from './get.js';
import Join from './join.js';
import LeaseGrant from './lease/grant.js';
import LeaseKeepalive from './lease/keepalive.js';
import LeaseList from './lease/list.js';
import LeaseRevoke from './lease/revoke.js';
import Leave from './leave.js';
import Limits from './limits.js';
import Lock from './lock.js';
import Elect from './elect.js';
import LockList from './lock/list.js';
import Ls from './ls.js';
import Put from './put.js';
import Rebalance from './rebalance.js';
import Remove from './remove.js';
import Repair from './repair.js';
import Rm from './rm.js';
import Scrub from './scrub.js';
import Serve from './serve.js';
import Settings from './settings.js';
import Stat from './stat.js';
import Watch from './watch.js';
import Status from './status.js';
import Txn from './txn.js';

export const COMMANDS = {
  bench: Bench,
  bootstrap: Bootstrap,
  'backup:create': BackupCreate,
  'backup:list': BackupList,
  'backup:prune': BackupPrune,
  'backup:restore': BackupRestore,
  'backup:verify': BackupVerify,
  'auth:role:add': AuthRoleAdd,
  'auth:role:grant': AuthRoleGrant,
  'auth:role:list': AuthRoleList,
  'auth:role:revoke': AuthRoleRevoke,
  'auth:role:rm': AuthRoleRm,
  'auth:token:create': AuthTokenCreate,
  'auth:token:list': AuthTokenList,
  'auth:token:revoke': AuthTokenRevoke,
  'auth:user:add': AuthUserAdd,
  'auth:user:grant-role': AuthUserGrantRole,
  'auth:user:list': AuthUserList,
  'auth:user:revoke-role': AuthUserRevokeRole,
  'auth:user:rm': AuthUserRm,
  'auth:whoami': AuthWhoami,
  'cert:create-ca': CertCreateCa,
  'cert:create-client': CertCreateClient,
  'cert:create-node': CertCreateNode,
  'cert:inspect': CertInspect,
  'cert:list': CertList,
  chaos: Chaos,
  dev: Dev,
  'encryption:add-key': EncryptionAddKey,
  'encryption:create-key': EncryptionCreateKey,
  'encryption:list-keys': EncryptionListKeys,
  get: Get,
  join: Join,
  leave: Leave,
  'lease:grant': LeaseGrant,
  'lease:keepalive': LeaseKeepalive,
  'lease:list': LeaseList,
  'lease:revoke': LeaseRevoke,
  limits: Limits,
  lock: Lock,
  elect: Elect,
  'lock:list': LockList,
  ls: Ls,
  put: Put,
  rebalance: Rebalance,
  remove: Remove,
  repair: Repair,
  rm: Rm,
  scrub: Scrub,
  serve: Serve,
  settings: Settings,
  stat: Stat,
  status: Status,
  txn: Txn,
  watch: Watch,
};
