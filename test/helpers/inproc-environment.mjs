// The in-process tier's jest environment (jest.config.js). jest runs test code in a vm
// context with its own Error, but errors made by Node itself (a socket's ECONNREFUSED, fs's
// ENOENT) come from the main context: `err instanceof Error` is false for them there, and
// main()'s error policy (src/core/redis/redis-errors.ts) would call a refused connection an
// unexpected error (exit 1) where the real CLI says exit 3. Here `instanceof Error` also
// accepts the main context's errors, as it does in the CLI; subclasses keep the usual check.
import { TestEnvironment } from 'jest-environment-node';

export default class InprocEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const SandboxError = this.global.Error;
    const ordinary = Function.prototype[Symbol.hasInstance];
    Object.defineProperty(SandboxError, Symbol.hasInstance, {
      value: function (value) {
        return ordinary.call(this, value) || (this === SandboxError && value instanceof Error);
      },
    });
  }
}
