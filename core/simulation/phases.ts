/** A driver's entry points, as the lifetime simulation (driver.ts) and the view name them. */
export type PhaseKind =
  | 'module-init'
  | 'probe'
  | 'open'
  | 'ioctl'
  | 'read'
  | 'write'
  | 'interrupt'
  | 'timer'
  | 'tasklet'
  | 'release'
  | 'remove'
  | 'module-exit';

export const PHASE_LABEL: Record<PhaseKind, string> = {
  'module-init': 'module init',
  probe: 'probe',
  open: 'open',
  ioctl: 'ioctl',
  read: 'read',
  write: 'write',
  interrupt: 'interrupt handler',
  timer: 'timer',
  tasklet: 'tasklet',
  release: 'release',
  remove: 'remove',
  'module-exit': 'module exit',
};
