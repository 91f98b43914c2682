/**
 * User-space copies that may sleep: they fault the user page in, and a fault may wait for I/O. They are
 * not reported on their own (a driver's ioctl copies under its own semaphore in process context); a
 * sleep-in-atomic finding names them when they sit in the same lock region as the flagged allocation.
 * Read in 2.4.22 include/asm-i386/uaccess.h ("Context: User context only. This function may sleep." above
 * each macro, line given) and 2.6.11 include/asm-i386/uaccess.h (might_sleep() in each).
 */
import { nameTable } from './name-table';

export interface UserAccess {
  /** The 2.4.22 include/asm-i386/uaccess.h line of the macro. */
  line24: number;
}

export const USER_ACCESS_SLEEPS: Readonly<Record<string, UserAccess>> = nameTable({
  get_user: { line24: 175 },
  put_user: { line24: 211 },
  __get_user: { line24: 235 },
  __put_user: { line24: 258 },
  copy_to_user: { line24: 711 },
  copy_from_user: { line24: 732 },
  __copy_to_user: { line24: 751 },
  __copy_from_user: { line24: 773 },
});
