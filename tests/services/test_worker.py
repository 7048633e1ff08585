"""A real Celery worker process takes tasks from Redis and answers through channels_redis."""

from __future__ import annotations

import socket

import pytest
from channels.layers import get_channel_layer

from textbook.queue import enqueue
from textbook.tasks import echo, ping_gpu

pytestmark = pytest.mark.services


def test_a_task_on_the_gpu_queue_is_consumed_by_the_worker(celery_worker_process: str) -> None:
    result = enqueue(ping_gpu)
    assert result.get(timeout=30) == socket.gethostname()
    assert result.successful()


async def test_the_worker_answers_a_consumer_through_the_redis_channel_layer(celery_worker_process: str) -> None:
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = await layer.new_channel()
    enqueue(echo, channel, "H(z) = 1 - z^-1")
    message = await layer.receive(channel)
    assert message == {"type": "echo.reply", "text": "H(z) = 1 - z^-1", "worker": socket.gethostname()}


def test_the_channel_layer_reads_longer_than_it_blocks() -> None:
    """channels_redis waits up to `brpop_timeout` in BZPOPMIN; if the socket read timed out at the same
    5 s (redis-py 8's default), an idle websocket under load died with 1011. Seen in bench/bench_tutor.py."""
    from channels_redis.utils import create_pool

    layer = get_channel_layer()
    pool = create_pool(layer.hosts[0])
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout + 5


def test_the_channel_layers_pool_holds_more_than_a_hundred_students_connecting_at_once() -> None:
    """redis-py's asyncio pool stops at 100 connections and raises MaxConnectionsError instead of waiting; the
    load test's hundred students, each socket joining its groups as it connects, ran it out."""
    from channels_redis.utils import create_pool

    assert create_pool(get_channel_layer().hosts[0]).max_connections >= 1000
