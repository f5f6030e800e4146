export const PACKAGE_NAME = '@failover/notifier';
