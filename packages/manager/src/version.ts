/** This manager's version, printed by `--version`; a test keeps it equal to package.json. */
export const MANAGER_VERSION = '0.1.0';
