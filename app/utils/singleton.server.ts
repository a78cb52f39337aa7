/**
 * Returns the value stored under `name` on globalThis, creating it once.
 *
 * The Express entry (run by tsx) and the Remix server build each load their
 * own copy of the modules under app/, so a plain module-level value would
 * exist twice. Keeping process-wide objects such as the database pool on
 * globalThis gives both copies the same instance.
 */
export function singleton<Value>(name: string, create: () => Value): Value {
  const store = globalThis as typeof globalThis & {
    __dokodoSingletons?: Map<string, unknown>;
  };
  store.__dokodoSingletons ??= new Map();
  if (!store.__dokodoSingletons.has(name)) {
    store.__dokodoSingletons.set(name, create());
  }
  return store.__dokodoSingletons.get(name) as Value;
}

/**
 * Returns a stand-in for the singleton `name` that creates it on first use.
 * Modules can then import objects such as the database client before
 * start-up has parsed the configuration they depend on.
 */
export function lazySingleton<Value extends object>(
  name: string,
  create: () => Value,
): Value {
  const resolve = () => singleton(name, create);
  return new Proxy({} as Value, {
    get(_target, property) {
      const instance = resolve();
      const value: unknown = Reflect.get(instance, property, instance);
      return typeof value === "function" ? value.bind(instance) : value;
    },
    has(_target, property) {
      return Reflect.has(resolve(), property);
    },
  });
}
