/**
 * openClient against a real server: the settings it is given stay as they were, so the
 * connections of one walk (main and SCAN) share one node-redis client class. node-redis
 * writes host/port into the socket options it is handed; sharing them made it build its
 * command classes once per connection (~20 MB of start-up garbage in every listing).
 */
import { describe, expect, test } from '@jest/globals';
import { disconnect, nodeSettings, openClient } from '../../src/core/redis/connection.js';
import { useTestRedis } from '../helpers/fixture.js';

describe('openClient', () => {
  const t = useTestRedis();

  test('leaves the settings unchanged, and two connections share one client class', async () => {
    const settings = await nodeSettings({ url: t.server.url, urlFromArgv: false, timeoutMs: 2000 }, () => undefined);
    const socketBefore = JSON.stringify(settings.socket);
    const first = await openClient(settings);
    const second = await openClient(settings);
    try {
      expect(JSON.stringify(settings.socket)).toBe(socketBefore);
      // node-redis hands out Object.create(new Client(options)): the class is two levels up.
      const classOf = (client: object) => Object.getPrototypeOf(Object.getPrototypeOf(client)) as object;
      expect(classOf(second)).toBe(classOf(first));
      expect(await second.ping()).toBe('PONG');
    } finally {
      await disconnect(first);
      await disconnect(second);
    }
  });
});
