export const PACKAGE_NAME = '@failover/core';
