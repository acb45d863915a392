// Typed calls for users, roles and tokens (API.md, "Authentication") over a CairnClient.
// Paths come from the route table.

import {
  type AuthDone,
  type AuthEnabled,
  type AuthRoleView,
  type AuthTokenCreated,
  type AuthTokenCreateRequest,
  type AuthTokenView,
  type AuthUserView,
  routePath,
  routes,
  type WhoAmI,
} from '../api/index.js';
import type { CairnClient } from './client.js';

export class AuthClient {
  constructor(private readonly client: CairnClient) {}

  /** Turns authentication on: creates role and user root; answers root's token once. */
  async enable(): Promise<AuthEnabled> {
    return (await this.client.requestJson('POST', routePath(routes.enableAuth))) as AuthEnabled;
  }

  async whoami(): Promise<WhoAmI> {
    return (await this.client.requestJson('GET', routePath(routes.whoami))) as WhoAmI;
  }

  async users(): Promise<AuthUserView[]> {
    return (await this.client.requestJson('GET', routePath(routes.listUsers))) as AuthUserView[];
  }

  async addUser(name: string): Promise<AuthDone> {
    return this.done('POST', routePath(routes.addUser), { name });
  }

  async removeUser(name: string): Promise<AuthDone> {
    return this.done('DELETE', routePath(routes.removeUser, { name }));
  }

  async grantRole(user: string, role: string): Promise<AuthDone> {
    return this.done('POST', routePath(routes.grantRole, { name: user }), { name: role });
  }

  async revokeRole(user: string, role: string): Promise<AuthDone> {
    return this.done('DELETE', routePath(routes.revokeRole, { name: user, role }));
  }

  async roles(): Promise<AuthRoleView[]> {
    return (await this.client.requestJson('GET', routePath(routes.listRoles))) as AuthRoleView[];
  }

  async addRole(name: string): Promise<AuthDone> {
    return this.done('POST', routePath(routes.addRole), { name });
  }

  async removeRole(name: string): Promise<AuthDone> {
    return this.done('DELETE', routePath(routes.removeRole, { name }));
  }

  async grantPermission(role: string, permission: string): Promise<AuthDone> {
    return this.done('POST', routePath(routes.grantPermission, { name: role }), { permission });
  }

  async revokePermission(role: string, permission: string): Promise<AuthDone> {
    return this.done('POST', routePath(routes.revokePermission, { name: role }), { permission });
  }

  async tokens(): Promise<AuthTokenView[]> {
    return (await this.client.requestJson('GET', routePath(routes.listTokens))) as AuthTokenView[];
  }

  async createToken(request: AuthTokenCreateRequest): Promise<AuthTokenCreated> {
    const path = routePath(routes.createToken);
    return (await this.client.requestJson('POST', path, request)) as AuthTokenCreated;
  }

  async revokeToken(id: string): Promise<AuthDone> {
    return this.done('DELETE', routePath(routes.revokeToken, { id }));
  }

  private async done(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<AuthDone> {
    return (await this.client.requestJson(method, path, body)) as AuthDone;
  }
}
