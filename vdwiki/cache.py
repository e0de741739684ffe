"""Django's Redis cache backend, with one Redis client per connection pool.

Django makes a new `redis.Redis` for every cache call, and redis-py fills a table of some 170
response callbacks in each one: that was a third of the time of serving a cached page. A client
is safe to share between threads (its pool hands each command a connection), so one per pool does.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
