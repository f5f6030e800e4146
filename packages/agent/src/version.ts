/** This agent's version, sent in `/status` and `/health`; a test keeps it equal to package.json. */
export const AGENT_VERSION = '0.1.0';
