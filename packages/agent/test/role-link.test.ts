import type { Role } from '@failover/core';
import { createRoleLink } from '../src/role-link';

describe('role link', () => {
  it('forwards fences and role reads to the runner attached to it', () => {
    const fenced: string[] = [];
    let role: Role = 'active';
    const link = createRoleLink();
    link.attach({ role: () => role, towerFenced: (detail) => void fenced.push(detail) });
    link.towerFenced('another agent wrote the tower');
    role = 'passive';
    expect(link.role()).toBe('passive');
    expect(fenced).toEqual(['another agent wrote the tower']);
  });

  // Pins that a link used too early fails loudly instead of answering 'unknown' or dropping a fence.
  it('throws instead of guessing when used before a runner is attached', () => {
    const link = createRoleLink();
    expect(() => link.role()).toThrow('before its role runner was attached');
    expect(() => link.towerFenced('fenced')).toThrow('before its role runner was attached');
  });
});
