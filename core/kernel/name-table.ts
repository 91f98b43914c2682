/**
 * Tables looked up by C identifiers. A plain object literal answers `valueOf`, `toString`,
 * `constructor` or `__proto__` from Object.prototype, so a driver calling a function of that name
 * became a lock operation or an allocator; these tables have no prototype.
 */
export function nameTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
