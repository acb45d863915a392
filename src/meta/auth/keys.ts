// The auth family's keys:
//   a/state          whether authentication is enabled (absent: disabled)
//   a/r/<role>       a role: its permissions
//   a/u/<user>       a user: the roles granted to it
//   a/t/<token id>   a token: its user, the SHA-256 of its secret, scope, times

export const authKeys = {
  state: 'a/state',
  rolePrefix: 'a/r/',
  userPrefix: 'a/u/',
  tokenPrefix: 'a/t/',
} as const;

export const roleKey = (name: string): string => authKeys.rolePrefix + name;
export const userKey = (name: string): string => authKeys.userPrefix + name;
export const tokenKey = (id: string): string => authKeys.tokenPrefix + id;
