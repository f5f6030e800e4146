/**
 * The keys that secure a connection to etcd, the same in both config files: the agent's `etcd`
 * tower store and the manager's election and journal. A production etcd serves TLS and checks
 * client certificates or users; these keys say with what the programs connect.
 */
import { Type } from '@sinclair/typebox';

const PATH = { minLength: 1 } as const;

/** Properties spread into both config schemas. */
export const EtcdAccessKeys = {
  etcd_ca_file: Type.Optional(
    Type.String({
      ...PATH,
      description:
        'PEM file of the CA that signed the etcd members’ certificates. Set, the connection is TLS and every `etcd_endpoints` URL must be `https://`; an `https://` endpoint without it is checked against the system’s CAs.',
    }),
  ),
  etcd_cert_file: Type.Optional(
    Type.String({
      ...PATH,
      description:
        'PEM client certificate presented to etcd (`--client-cert-auth`); needs `etcd_key_file` and `etcd_ca_file`.',
    }),
  ),
  etcd_key_file: Type.Optional(
    Type.String({
      ...PATH,
      description:
        'PEM private key of `etcd_cert_file`. Secret: refused when other users can read it (chmod 600), never logged.',
    }),
  ),
  etcd_username: Type.Optional(
    Type.String({ minLength: 1, description: 'etcd user (etcd auth enabled); set with `etcd_password_file`.' }),
  ),
  etcd_password_file: Type.Optional(
    Type.String({
      ...PATH,
      description:
        "File holding `etcd_username`'s password; surrounding whitespace is not part of it. Secret: refused when other users can read it, never logged.",
    }),
  ),
};
