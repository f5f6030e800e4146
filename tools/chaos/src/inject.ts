/**
 * Injects one fault of the catalogue into a running stack and returns how to heal it. Targets
 * given as roles are resolved here, from the cluster's view of which machine holds the staked
 * identity (the cluster process, unlike a frozen validator, always answers).
 */
import type { Stack } from '@failover/e2e';
import type { Fault, Role } from './schedule';

/** A fault in effect. */
export interface Injected {
  /** The fault with its resolved target, e.g. `validator-kill(v1)`. */
  readonly label: string;
  readonly silencesManager: boolean;
  readonly silencesTelegram: boolean;
  /** Undoes the fault; never throws (a heal that fails is a note, not a crash of the campaign). */
  heal(): Promise<string | undefined>;
}

const NOTHING_TO_HEAL = async (): Promise<undefined> => undefined;

/** The machine (`v1`/`v2`) holding the staked identity now, as the cluster sees it; `v1` when none does. */
export async function activeName(stack: Stack): Promise<string> {
  const status = await stack.cluster.status();
  return status.validators.find((v) => v.identity === stack.cluster.stakedPubkey)?.name ?? 'v1';
}

async function resolve(stack: Stack, role: Role): Promise<string> {
  const active = await activeName(stack);
  return role === 'active' ? active : active === 'v1' ? 'v2' : 'v1';
}

/** Injects `fault`; see the file comment. */
export async function inject(stack: Stack, fault: Fault): Promise<Injected> {
  const plain = (
    label: string,
    heal: () => Promise<unknown>,
    silences: Partial<Pick<Injected, 'silencesManager' | 'silencesTelegram'>> = {},
  ): Injected => ({
    label,
    silencesManager: silences.silencesManager ?? false,
    silencesTelegram: silences.silencesTelegram ?? false,
    heal: async () => {
      try {
        await heal();
        return undefined;
      } catch (error) {
        return `heal of ${label} failed: ${(error as Error).message}`;
      }
    },
  });
  switch (fault.kind) {
    case 'validator-kill': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      await v.crash();
      // As systemd would: a validator still down at the heal is started, on whatever its
      // identity.json symlink names (S3).
      return plain(`validator-kill(${v.name})`, async () => {
        if (!v.isRunning()) await v.start();
      });
    }
    case 'validator-stop': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      v.hang();
      // The agent's restart fallback may have replaced the frozen process already; SIGCONT to
      // its successor is harmless.
      return plain(`validator-stop(${v.name})`, async () => {
        if (v.isRunning()) v.resume();
      });
    }
    case 'validator-restart': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      await v.restart();
      return plain(`validator-restart(${v.name})`, NOTHING_TO_HEAL);
    }
    case 'agent-kill': {
      const agent = stack.agent(await resolve(stack, fault.target));
      await agent.process.kill();
      return plain(`agent-kill(${agent.name})`, async () => agent.process.start());
    }
    case 'agent-stop': {
      const agent = stack.agent(await resolve(stack, fault.target));
      agent.process.signal('SIGSTOP');
      return plain(`agent-stop(${agent.name})`, async () => agent.process.signal('SIGCONT'));
    }
    case 'manager-kill':
      await stack.manager.process.kill();
      return plain('manager-kill', () => stack.manager.start(), { silencesManager: true });
    case 'manager-stop':
      stack.manager.process.signal('SIGSTOP');
      return plain('manager-stop', async () => stack.manager.process.signal('SIGCONT'), { silencesManager: true });
    case 'cut-manager-active': {
      const name = await activeName(stack);
      const link = linksOf(stack).of(name).fromManager;
      await link.cut('blackhole');
      return plain(`cut-manager-active(${name})`, () => link.heal());
    }
    case 'isolate-active': {
      const name = await activeName(stack);
      const links = linksOf(stack);
      await Promise.all([links.isolate(name), stack.cluster.cut(name, 'cluster')]);
      return plain(`isolate-active(${name})`, async () => {
        await stack.cluster.heal(name, 'cluster');
        await links.healAll();
      });
    }
    case 'cut-agent-etcd': {
      const name = await resolve(stack, fault.target);
      const toEtcd = linksOf(stack).of(name).toEtcd;
      await Promise.all(toEtcd.map((p) => p.cut('blackhole')));
      return plain(`cut-agent-etcd(${name})`, () => Promise.all(toEtcd.map((p) => p.heal())));
    }
    case 'etcd-member-loss':
    case 'etcd-quorum-loss': {
      const members = etcdOf(stack).members;
      const lost = fault.kind === 'etcd-member-loss' ? members.slice(0, 1) : members.slice(0, 2);
      await Promise.all(lost.map((m) => m.kill()));
      return plain(`${fault.kind}(${lost.map((m) => m.name).join(',')})`, () =>
        Promise.all(lost.map((m) => m.restart())),
      );
    }
    case 'set-identity-slow': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      await v.setIdentityDelay(fault.delayMs);
      return plain(`set-identity-slow(${v.name},${fault.delayMs}ms)`, () => v.setIdentityDelay(0));
    }
    case 'set-identity-fail': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      await v.failSetIdentity(true);
      return plain(`set-identity-fail(${v.name})`, () => v.failSetIdentity(false));
    }
    case 'rpc-unhealthy': {
      const v = stack.cluster.validator(await resolve(stack, fault.target));
      await v.setRpcUnhealthy(true);
      return plain(`rpc-unhealthy(${v.name})`, () => v.setRpcUnhealthy(false));
    }
    case 'telegram-down': {
      const telegram = stack.telegram;
      if (telegram === undefined) throw new Error('telegram-down needs a stack started with telegram: true');
      await telegram.setDown(true, 'refuse');
      return plain('telegram-down', () => telegram.setDown(false), { silencesTelegram: true });
    }
  }
}

function linksOf(stack: Stack): NonNullable<Stack['links']> {
  if (stack.links === undefined) throw new Error('network faults need a stack started with links: true');
  return stack.links;
}

function etcdOf(stack: Stack): NonNullable<Stack['etcd']> {
  if (stack.etcd === undefined) throw new Error('etcd faults need a stack started with towerStore: etcd');
  return stack.etcd;
}
