export { freePort } from './free-port';
export { tempDir } from './temp-dir';
export type { TempDir } from './temp-dir';
export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { startEtcd } from './etcd';
export { makeTestCertificates } from './test-ca';
export type { TestCertificates } from './test-ca';
export type { EtcdCluster, EtcdMember, StartEtcdOptions } from './etcd';
export { etcdKeys } from './etcd-keys';
export type { EtcdKeys, EtcdKv } from './etcd-keys';
export { startSshd } from './sshd';
export type { SshdHandle, StartSshdOptions } from './sshd';
export { startFakeTelegram } from './fake-telegram';
export type {
  DownMode,
  FakeTelegram,
  InjectedFailure,
  InjectedMessage,
  RecordedCall,
  RecordedMessage,
} from './fake-telegram';
export { sendEndlessBody } from './endless-body';
export type { EndlessBody } from './endless-body';
export { startCuttableProxy } from './cuttable-proxy';
export type { CutMode, CuttableProxy, CuttableProxyOptions } from './cuttable-proxy';
export { ComponentStartError, TestkitArgumentError, TestkitError, WaitTimeoutError } from './errors';
export { startSupervisedService } from './service-supervisor';
export type {
  ServiceCommand,
  ServiceResult,
  ServiceRun,
  SupervisedService,
  SupervisedServiceOptions,
} from './service-supervisor';
