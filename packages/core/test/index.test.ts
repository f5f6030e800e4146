import { PACKAGE_NAME } from '@failover/core';

it('names itself', () => {
  expect(PACKAGE_NAME).toBe('@failover/core');
});
