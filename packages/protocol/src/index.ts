export const PACKAGE_NAME = '@failover/protocol';
