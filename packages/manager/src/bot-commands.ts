/**
 * The read-only Telegram commands of the manager: `/status` answers what `failover-manager
 * status` prints, `/history` the last failovers of `failover-manager history`, both from the
 * chat the notifications go to and no other. They run in a loop of their own, so a Telegram
 * outage never slows the monitor.
 */
import { EMPTY_JOURNAL } from '@failover/core';
import type { ManagerJournalState } from '@failover/core';
import { createTelegramCommands, type AppLogger, type TelegramCommands } from '@failover/notifier';
import type { ControlStatus, ManagerConfig } from '@failover/protocol';
import { fetchEtcdJournal } from './etcd-journal';
import { renderHistory } from './history-view';
import { readJournalFile } from './journal';
import { renderStatusTable } from './status-view';

/** How many failovers `/history` shows. */
const HISTORY_RUNS = 5;

/** Options of {@link createBotCommands}. */
export interface BotCommandsOptions {
  readonly config: ManagerConfig;
  readonly logger: AppLogger;
  /** The status the control API answers now. */
  readonly status: () => ControlStatus;
  /** The journal file of a manager without the election; with it, the journal is read from etcd. */
  readonly journalFile: string | undefined;
  /** Whether this manager leads (always, without the election): only the leader polls the bot. */
  readonly leads: () => boolean;
}

/** The commands loop, or undefined when Telegram or its commands are not configured. */
export function createBotCommands(options: BotCommandsOptions): TelegramCommands | undefined {
  const { config } = options;
  const telegram = config.telegram;
  if (telegram === undefined || !telegram.commands) return undefined;
  const election = config.election;
  const journal = async (): Promise<{ readonly state: ManagerJournalState; readonly location: string }> => {
    if (election !== undefined) {
      const fetched = await fetchEtcdJournal(election);
      return { state: fetched.journal ?? EMPTY_JOURNAL, location: fetched.location };
    }
    const file = options.journalFile ?? '';
    return { state: (await readJournalFile(file)) ?? EMPTY_JOURNAL, location: file };
  };
  return createTelegramCommands({
    token: telegram.botToken,
    allowedChatIds: [telegram.chatId],
    apiRoot: telegram.apiRoot,
    logger: options.logger,
    isPolling: options.leads,
    async answer(command) {
      if (command === 'status') return renderStatusTable(options.status());
      const { state, location } = await journal();
      return renderHistory(state, location, HISTORY_RUNS);
    },
  });
}
